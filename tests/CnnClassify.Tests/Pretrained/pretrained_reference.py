"""Reference data from torchvision 0.21 for the pretrained-weight tests.

Usage: pretrained_reference.py OUTDIR

Writes:
  image.png, photo-320x240.png, photo-301x233.png
                              RGB test images (WIDTHxHEIGHT; not square, odd sizes). Their
                              centre-crop margins have halves ending in .5, where rounding half to
                              even and half away from zero differ: 320x240 resized to 341x256 or
                              309x232 before a 224 crop (margins 117 and 85); 301x233 cropped to
                              224 directly (margins 77 and 9);
  transforms.safetensors      for every image and distinct preprocessing of the published weight
                              entries, weights.transforms() applied to the image as a uint8 tensor
                              (IMAGE.PRESET.tensor) and as a PIL image (IMAGE.PRESET.pil);
  presets.json                each entry's PRESET key, by MODEL.NAME;
  torch_home/hub/checkpoints  seeded random weights for resnet18, densenet121 and googlenet under
                              torchvision's IMAGENET1K_V1 file names, and for resnet50 and one
                              model of each newer family (FAMILY_DEFAULTS) under their DEFAULT
                              names, laid out as the published files are (DenseNet's old key
                              names, GoogLeNet's and Inception v3's auxiliary heads);
  crops.safetensors           torchvision's center_crop of each image as a uint8 tensor at sizes
                              that crop, pad, and do both (IMAGE.HEIGHTxWIDTH);
  logprobs.safetensors        each of those models' log-probabilities (IMAGE.MODEL) for image.png
                              (photo-320x240.png for the FAMILY_DEFAULTS, whose margins are odd),
                              and resnet18's and resnet50's for photo-320x240.png, through
                              torchvision's own weights.transforms() (tensor path).
"""
import json
import os
import re
import sys

import torch
from PIL import Image
from safetensors.torch import save_file
from torch import nn
from torchvision import models as tvm
from torchvision.io import read_image
from torchvision.transforms.functional import center_crop
from torchvision.models import get_model_weights

NAMES = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "googlenet", "mobilenet_v2",
    "densenet121", "densenet169", "efficientnet_b0",
    "convnext_tiny", "convnext_small", "convnext_base", "convnext_large", "densenet161", "densenet201",
    *[f"efficientnet_b{i}" for i in range(1, 8)], "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    "inception_v3", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "mobilenet_v3_small", "mobilenet_v3_large",
    *[f"regnet_{k}_{s}" for k, sizes in (("y", ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf"]),
                                        ("x", ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf"])) for s in sizes],
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "squeezenet1_0", "squeezenet1_1", "wide_resnet50_2", "wide_resnet101_2",
]
# One model of each family whose DEFAULT file goes into the hub cache with seeded weights.
FAMILY_DEFAULTS = [
    "convnext_tiny", "densenet201", "efficientnet_b1", "efficientnet_v2_s", "inception_v3", "mnasnet0_5",
    "mobilenet_v3_small", "regnet_y_400mf", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_1", "wide_resnet50_2",
]


CROPS = [(224, 224), (232, 232), (223, 225), (256, 331), (400, 400)]
IMAGES = {"image": (203, 301), "photo-320x240": (240, 320), "photo-301x233": (233, 301)}


def write_image(path, h, w):
    g = torch.Generator().manual_seed(7)
    y = torch.arange(h).view(h, 1).float()
    x = torch.arange(w).view(1, w).float()
    base = torch.stack([(x * 0.8 + y * 0.3) % 256, (x * 0.2 + y * 1.1) % 256, ((x - y).abs() * 0.7) % 256])
    noise = torch.randint(0, 40, (3, h, w), generator=g).float()
    pixels = (base + noise).clamp(0, 255).to(torch.uint8)
    Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(path)


def preset_key(preset):
    # Entries that share a preprocessing share one reference output.
    values = [preset.resize_size[0], preset.crop_size[0], preset.interpolation.value, *preset.mean, *preset.std]
    return "_".join(str(v) for v in values)


def randomise_layer_scale(model):
    # ConvNeXt's layer scale starts at 1e-6, which would hide its blocks from the comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.5, 1.5)


def randomise_batchnorm(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    tensor_images = {}
    outputs = {}
    presets = {}
    for stem, (h, w) in IMAGES.items():
        image_path = os.path.join(outdir, stem + ".png")
        write_image(image_path, h, w)
        tensor_image = tensor_images[stem] = read_image(image_path)
        pil_image = Image.open(image_path).convert("RGB")
        for name in NAMES:
            for weights in get_model_weights(name):
                if weights.meta.get("categories") is None:
                    continue
                preset = weights.transforms()
                key = preset_key(preset)
                presets[f"{name}.{weights.name}"] = key
                if f"{stem}.{key}.tensor" not in outputs:
                    outputs[f"{stem}.{key}.tensor"] = preset(tensor_image).contiguous()
                    outputs[f"{stem}.{key}.pil"] = preset(pil_image).contiguous()
    save_file(outputs, os.path.join(outdir, "transforms.safetensors"))
    with open(os.path.join(outdir, "presets.json"), "w") as f:
        json.dump(presets, f)
    crops = {}
    for stem, tensor_image in tensor_images.items():
        for h, w in CROPS:
            crops[f"{stem}.{h}x{w}"] = center_crop(tensor_image, [h, w]).contiguous()
    save_file(crops, os.path.join(outdir, "crops.safetensors"))

    checkpoints = os.path.join(outdir, "torch_home", "hub", "checkpoints")
    os.makedirs(checkpoints, exist_ok=True)
    logprobs = {}
    for name in ["resnet18", "densenet121", "googlenet", "resnet50", *FAMILY_DEFAULTS]:
        torch.manual_seed(0)
        weights = get_model_weights(name).DEFAULT
        if name in ("googlenet", "inception_v3"):
            # Their published weights hold the auxiliary heads and expect transform_input.
            model = getattr(tvm, name)(weights=None, aux_logits=True, transform_input=True, init_weights=True)
        else:
            model = getattr(tvm, name)(weights=None)
        if name == "inception_v3":
            # Its own initialisation (truncated normal, std 0.1) grows activations about 17-fold per
            # layer while BatchNorm keeps unit statistics, until every probability but one is 0.
            for m in model.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_in")
        randomise_batchnorm(model)
        randomise_layer_scale(model)
        model.eval()
        state = model.state_dict()
        if name.startswith("densenet"):
            # The published DenseNet files keep the old key names: norm.1 for norm1, and so on.
            state = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v for k, v in state.items()}
        torch.save(state, os.path.join(checkpoints, os.path.basename(weights.url)))
        stems = ["image", "photo-320x240"] if name in ("resnet18", "resnet50") else ["photo-320x240"] if name in FAMILY_DEFAULTS else ["image"]
        with torch.no_grad():
            for stem in stems:
                batch = weights.transforms()(tensor_images[stem]).unsqueeze(0)
                logprobs[f"{stem}.{name}"] = torch.log_softmax(model(batch), dim=1)[0].contiguous()
    save_file(logprobs, os.path.join(outdir, "logprobs.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1])
