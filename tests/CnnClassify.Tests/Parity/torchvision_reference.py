"""Reference data from torchvision for the model-zoo parity tests.

Usage: torchvision_reference.py OUTDIR

Writes, for every zoo model with a torchvision twin (the catalogue's newer families: manifest
entries for all, numeric fixtures for the models in FAMILY_LOGITS, with layer scales and
LayerNorms randomised too):
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
from torchvision.models import regnet

NAMES = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "googlenet", "mobilenet_v2", "densenet121", "densenet169", "efficientnet_b0",
]
# The rest of torchvision's convolutional classifiers: keys and shapes for every one, built on
# the meta device (RegNet-Y 128GF's 645 million parameters cost nothing there) ...
CATALOGUE = [
    "convnext_tiny", "convnext_small", "convnext_base", "convnext_large", "densenet161", "densenet201",
    *[f"efficientnet_b{i}" for i in range(1, 8)], "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    "inception_v3", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "mobilenet_v3_small", "mobilenet_v3_large",
    *[f"regnet_{k}_{s}" for k, sizes in (("y", ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf"]),
                                        ("x", ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf"])) for s in sizes],
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "squeezenet1_0", "squeezenet1_1", "wide_resnet50_2", "wide_resnet101_2",
]
# ... and logits for at least one model of each family, with the input each needs: Inception v3
# at 96x96 (it takes 75 at least), through transform_input as the published weights are used.
FAMILY_LOGITS = {
    "convnext_tiny": 64, "densenet201": 64, "efficientnet_b1": 64, "efficientnet_v2_s": 64, "inception_v3": 96,
    "mnasnet0_5": 64, "mobilenet_v3_small": 64, "mobilenet_v3_large": 64, "regnet_x_400mf": 64, "regnet_y_400mf": 64,
    "resnext50_32x4d": 64, "shufflenet_v2_x0_5": 64, "squeezenet1_0": 64, "squeezenet1_1": 64, "wide_resnet50_2": 64,
}
NARROW = 64


def _on_cpu(compute):
    # RegNet derives its widths with tensor arithmetic, which the meta device cannot evaluate.
    def wrapper(*args, **kwargs):
        with torch.device("cpu"):
            return compute(*args, **kwargs)
    return wrapper


regnet.BlockParams.from_init_params = classmethod(_on_cpu(regnet.BlockParams.from_init_params.__func__))


def build(name, aux=False, **kwargs):
    if name == "googlenet":
        return tvm.googlenet(weights=None, init_weights=True, aux_logits=aux, **kwargs)
    if name == "inception_v3":
        return tvm.inception_v3(weights=None, init_weights=True, aux_logits=aux, **kwargs)
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


def randomise_layer_norm_and_scale(model):
    # ConvNeXt starts with layer scale 1e-6 and LayerNorm at 1 and 0, which would hide its blocks.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.5, 1.5)
        for m in model.modules():
            if isinstance(m, nn.LayerNorm) or type(m).__name__ == "LayerNorm2d":
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
        for name in CATALOGUE:
            manifest[name] = describe(build(name))
        manifest["inception_v3_aux"] = describe(build("inception_v3", aux=True))
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

    for name, size in FAMILY_LOGITS.items():
        torch.manual_seed(0)
        model = build(name, num_classes=10, **({"transform_input": True} if name == "inception_v3" else {}))
        if name == "inception_v3":
            # Its own initialisation (truncated normal, std 0.1) grows activations about 17-fold per
            # layer while BatchNorm keeps unit statistics; logits of 1e7 would hide small errors.
            for m in model.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_in")
        randomise_batchnorm(model)
        randomise_layer_norm_and_scale(model)
        model.eval()
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            logits = model(x)
        torch.save(model.state_dict(), os.path.join(outdir, f"{name}.pth"))
        torch.save({"input": x, "logits": logits}, os.path.join(outdir, f"{name}.io.pth"))

    torch.manual_seed(0)
    torch.save(build("resnet18").state_dict(), os.path.join(outdir, "resnet18_1000.pth"))


if __name__ == "__main__":
    main(sys.argv[1])
