"""Reference data from torchvision 0.21 for the pretrained-weight tests.

Usage: pretrained_reference.py OUTDIR

Writes:
  image.png                   a 301x203 RGB test image (not square, odd sizes);
  transforms.safetensors      for every published weight entry, weights.transforms() applied to
                              the image as a uint8 tensor (MODEL.NAME.tensor) and as a PIL image
                              (MODEL.NAME.pil);
  torch_home/hub/checkpoints  seeded random weights for resnet18, densenet121 and googlenet under
                              torchvision's IMAGENET1K_V1 file names, laid out as the published
                              files are (DenseNet's old key names, GoogLeNet's auxiliary heads);
  logprobs.safetensors        each of those models' log-probabilities for the image, through
                              torchvision's own weights.transforms() (tensor path).
"""
import os
import re
import sys

import torch
from PIL import Image
from safetensors.torch import save_file
from torch import nn
from torchvision import models as tvm
from torchvision.io import read_image
from torchvision.models import get_model_weights

NAMES = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "googlenet", "mobilenet_v2",
    "densenet121", "densenet169", "efficientnet_b0",
]


def write_image(path):
    g = torch.Generator().manual_seed(7)
    h, w = 203, 301
    y = torch.arange(h).view(h, 1).float()
    x = torch.arange(w).view(1, w).float()
    base = torch.stack([(x * 0.8 + y * 0.3) % 256, (x * 0.2 + y * 1.1) % 256, ((x - y).abs() * 0.7) % 256])
    noise = torch.randint(0, 40, (3, h, w), generator=g).float()
    pixels = (base + noise).clamp(0, 255).to(torch.uint8)
    Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(path)


def randomise_batchnorm(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    image_path = os.path.join(outdir, "image.png")
    write_image(image_path)
    tensor_image = read_image(image_path)
    pil_image = Image.open(image_path).convert("RGB")

    outputs = {}
    for name in NAMES:
        for weights in get_model_weights(name):
            if weights.meta.get("categories") is None:
                continue
            preset = weights.transforms()
            outputs[f"{name}.{weights.name}.tensor"] = preset(tensor_image).contiguous()
            outputs[f"{name}.{weights.name}.pil"] = preset(pil_image).contiguous()
    save_file(outputs, os.path.join(outdir, "transforms.safetensors"))

    checkpoints = os.path.join(outdir, "torch_home", "hub", "checkpoints")
    os.makedirs(checkpoints, exist_ok=True)
    logprobs = {}
    for name in ["resnet18", "densenet121", "googlenet"]:
        torch.manual_seed(0)
        weights = get_model_weights(name).IMAGENET1K_V1
        if name == "googlenet":
            # Published GoogLeNet weights hold the auxiliary heads and expect transform_input.
            model = tvm.googlenet(weights=None, aux_logits=True, transform_input=True, init_weights=True)
        else:
            model = getattr(tvm, name)(weights=None)
        randomise_batchnorm(model)
        model.eval()
        state = model.state_dict()
        if name.startswith("densenet"):
            # The published DenseNet files keep the old key names: norm.1 for norm1, and so on.
            state = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v for k, v in state.items()}
        torch.save(state, os.path.join(checkpoints, os.path.basename(weights.url)))
        with torch.no_grad():
            batch = weights.transforms()(tensor_image).unsqueeze(0)
            logprobs[name] = torch.log_softmax(model(batch), dim=1)[0].contiguous()
    save_file(logprobs, os.path.join(outdir, "logprobs.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1])
