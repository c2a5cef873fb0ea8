"""Reference data from torchvision 0.21 for the pretrained-weight tests.

Usage: pretrained_reference.py OUTDIR

Writes:
  image.png, photo-320x240.png, photo-301x233.png
                              RGB test images (WIDTHxHEIGHT; not square, odd sizes). Their
                              centre-crop margins have halves ending in .5, where rounding half to
                              even and half away from zero differ: 320x240 resized to 341x256 or
                              309x232 before a 224 crop (margins 117 and 85); 301x233 cropped to
                              224 directly (margins 77 and 9);
  transforms.safetensors      for every image and published weight entry, weights.transforms()
                              applied to the image as a uint8 tensor (IMAGE.MODEL.NAME.tensor) and
                              as a PIL image (IMAGE.MODEL.NAME.pil);
  torch_home/hub/checkpoints  seeded random weights for resnet18, densenet121 and googlenet under
                              torchvision's IMAGENET1K_V1 file names, and for resnet50 under its
                              IMAGENET1K_V2 (DEFAULT) name, laid out as the published files are
                              (DenseNet's old key names, GoogLeNet's auxiliary heads);
  crops.safetensors           torchvision's center_crop of each image as a uint8 tensor at sizes
                              that crop, pad, and do both (IMAGE.HEIGHTxWIDTH);
  logprobs.safetensors        each of those models' log-probabilities (IMAGE.MODEL) for image.png,
                              and resnet18's and resnet50's for photo-320x240.png, through
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
from torchvision.transforms.functional import center_crop
from torchvision.models import get_model_weights

NAMES = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "googlenet", "mobilenet_v2",
    "densenet121", "densenet169", "efficientnet_b0",
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
                outputs[f"{stem}.{name}.{weights.name}.tensor"] = preset(tensor_image).contiguous()
                outputs[f"{stem}.{name}.{weights.name}.pil"] = preset(pil_image).contiguous()
    save_file(outputs, os.path.join(outdir, "transforms.safetensors"))
    crops = {}
    for stem, tensor_image in tensor_images.items():
        for h, w in CROPS:
            crops[f"{stem}.{h}x{w}"] = center_crop(tensor_image, [h, w]).contiguous()
    save_file(crops, os.path.join(outdir, "crops.safetensors"))

    checkpoints = os.path.join(outdir, "torch_home", "hub", "checkpoints")
    os.makedirs(checkpoints, exist_ok=True)
    logprobs = {}
    for name in ["resnet18", "densenet121", "googlenet", "resnet50"]:
        torch.manual_seed(0)
        weights = get_model_weights(name).DEFAULT
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
        stems = ["image", "photo-320x240"] if name in ("resnet18", "resnet50") else ["image"]
        with torch.no_grad():
            for stem in stems:
                batch = weights.transforms()(tensor_images[stem]).unsqueeze(0)
                logprobs[f"{stem}.{name}"] = torch.log_softmax(model(batch), dim=1)[0].contiguous()
    save_file(logprobs, os.path.join(outdir, "logprobs.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1])
