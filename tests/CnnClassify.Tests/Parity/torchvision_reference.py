"""Reference data from torchvision for the model-zoo parity tests.

Usage: torchvision_reference.py OUTDIR

Writes, for every zoo model with a torchvision twin:
  manifest.json         state-dict keys, shapes and parameter counts of the full-size models
                        (1,000 classes), built on the meta device so nothing is allocated;
  NAME.pth              weights of a 10-class model built with seed 0, with randomised
                        BatchNorm statistics so that evaluation mode is exercised;
  NAME.io.pth           {'input': a 2x3x64x64 batch, 'logits': the eval-mode output};
  resnet18_1000.pth     a 1,000-class ResNet-18 checkpoint, for head-mismatch loading.
VGG and AlexNet classifiers are narrowed from 4096 to 64 units in the numeric fixtures to keep
the files small; the convolutional layers and the layer order are untouched.
"""
import json
import os
import sys

import torch
from torch import nn
from torchvision import models as tvm

NAMES = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "googlenet", "mobilenet_v2", "densenet121", "densenet169", "efficientnet_b0",
]
NARROW = 64


def build(name, aux=False, **kwargs):
    if name == "googlenet":
        return tvm.googlenet(weights=None, init_weights=True, aux_logits=aux, **kwargs)
    return getattr(tvm, name)(weights=None, **kwargs)


def describe(model):
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "keys": {k: list(v.shape) for k, v in model.state_dict().items()},
    }


def narrow_classifier(name, model):
    if not (name.startswith("vgg") or name == "alexnet"):
        return
    first, second = (1, 4) if name == "alexnet" else (0, 3)
    c = model.classifier
    c[first] = nn.Linear(c[first].in_features, NARROW)
    c[second] = nn.Linear(NARROW, NARROW)
    c[6] = nn.Linear(NARROW, c[6].out_features)


def randomise_batchnorm(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = {}
    with torch.device("meta"):
        for name in NAMES:
            manifest[name] = describe(build(name))
        manifest["googlenet_aux"] = describe(build("googlenet", aux=True))
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f)

    for name in NAMES:
        torch.manual_seed(0)
        model = build(name, num_classes=10)
        narrow_classifier(name, model)
        randomise_batchnorm(model)
        model.eval()
        x = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            logits = model(x)
        torch.save(model.state_dict(), os.path.join(outdir, f"{name}.pth"))
        torch.save({"input": x, "logits": logits}, os.path.join(outdir, f"{name}.io.pth"))

    torch.manual_seed(0)
    torch.save(build("resnet18").state_dict(), os.path.join(outdir, "resnet18_1000.pth"))


if __name__ == "__main__":
    main(sys.argv[1])
