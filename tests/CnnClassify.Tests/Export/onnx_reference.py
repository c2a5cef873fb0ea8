"""ONNX reference checks for the export tests, run inside the Debian 13 root.

Usage:
  onnx_reference.py check FILE.onnx...
      onnx.checker.check_model with full shape inference on each file; prints one line each.
  onnx_reference.py export NAME NUM_CLASSES WEIGHTS.safetensors SIZE OUT.onnx
      Loads the weights into torchvision's NAME (strict), and writes it with torch.onnx.export
      (TorchScript exporter, opset 17, input 'input', output 'logits', dynamic batch).
"""
import sys

import onnx


def check(files):
    for path in files:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        print(f"ok {path} opset {model.opset_import[0].version} ir {model.ir_version}")


def export(name, num_classes, weights, size, out):
    import torch
    from safetensors.torch import load_file
    from torchvision import models

    model = getattr(models, name)(weights=None, num_classes=num_classes)
    model.load_state_dict(load_file(weights))
    model.eval()
    sample = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, (sample,), out, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    print(f"exported {name} to {out}")


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2:])
    else:
        export(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])
