"""Class activation maps computed by hand in PyTorch, as the reference for ClassActivationMapTests.

Usage: cam_reference.py DIR
DIR holds input.safetensors (images [N, 3, 224, 224], classes [N]) and, per model, NAME.safetensors
(a state dict with 10 classes). Writes NAME.cam.safetensors with, per method, the maps for the
predicted classes ("<method>.predicted") and for the given classes ("<method>.given"), the Grad-CAM
maps upsampled to 224x224 ("gradcam.upsampled"), the predictions and probabilities.
The maps follow the definitions in CnnClassify's CamMethod, written out here with forward hooks
and torch.autograd.grad.
"""
import sys

import torch
import torch.nn.functional as F
import torchvision
from safetensors.torch import load_file, save_file

torch.set_num_threads(2)
LAYERS = {"resnet18": lambda m: m.layer4, "mobilenet_v2": lambda m: m.features[18]}


def activation_and_logits(model, layer, images):
    captured = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.__setitem__("a", output))
    try:
        logits = model(images)
    finally:
        handle.remove()
    return captured["a"], logits


def gradient(model, layer, images, classes):
    images = images.clone().requires_grad_(True)
    activation, logits = activation_and_logits(model, layer, images)
    score = logits.gather(1, classes[:, None]).sum()
    (grad,) = torch.autograd.grad(score, activation)
    return activation.detach(), grad


def gradcam(model, layer, images, classes):
    a, g = gradient(model, layer, images, classes)
    weights = g.mean(dim=(2, 3), keepdim=True)
    return torch.relu((weights * a).sum(1))


def gradcam_plus_plus(model, layer, images, classes):
    a, g = gradient(model, layer, images, classes)
    g2 = g * g
    g3 = g2 * g
    denominator = 2 * g2 + a.sum(dim=(2, 3), keepdim=True) * g3
    nonzero = denominator != 0
    alpha = torch.where(nonzero, g2 / torch.where(nonzero, denominator, torch.ones_like(denominator)), torch.zeros_like(g2))
    weights = (alpha * torch.relu(g)).sum(dim=(2, 3), keepdim=True)
    return torch.relu((weights * a).sum(1))


def scale(maps):
    flat = maps.flatten(1)
    low = flat.min(1, keepdim=True).values
    span = flat.max(1, keepdim=True).values - low
    positive = span > 0
    scaled = (flat - low) / torch.where(positive, span, torch.ones_like(span))
    return torch.where(positive, scaled, torch.zeros_like(scaled)).view_as(maps)


@torch.no_grad()
def scorecam(model, layer, images, classes, chunk=32):
    activation, _ = activation_and_logits(model, layer, images)
    maps = []
    for n in range(images.shape[0]):
        a = activation[n]
        masks = scale(F.interpolate(a[:, None], size=images.shape[2:], mode="bilinear", align_corners=False)[:, 0])[:, None]
        weights = []
        for start in range(0, masks.shape[0], chunk):
            masked = images[n][None] * masks[start:start + chunk]
            weights.append(torch.softmax(model(masked), dim=1)[:, int(classes[n])])
        w = torch.cat(weights).view(-1, 1, 1)
        maps.append(torch.relu((w * a).sum(0)))
    return torch.stack(maps)


def main(directory):
    inputs = load_file(f"{directory}/input.safetensors")
    images, given = inputs["images"], inputs["classes"].long()
    for name, find_layer in LAYERS.items():
        model = getattr(torchvision.models, name)(num_classes=10)
        model.load_state_dict(load_file(f"{directory}/{name}.safetensors"), strict=True)
        model.eval()
        layer = find_layer(model)
        with torch.no_grad():
            logits = model(images)
        predicted = logits.argmax(1)
        out = {
            "predicted": predicted,
            "probabilities.predicted": torch.softmax(logits, 1).gather(1, predicted[:, None])[:, 0],
        }
        for method, function in (("gradcam", gradcam), ("gradcampp", gradcam_plus_plus)):
            out[f"{method}.predicted"] = function(model, layer, images, predicted)
            out[f"{method}.given"] = function(model, layer, images, given)
        out["gradcam.upsampled"] = F.interpolate(out["gradcam.predicted"][:, None], size=images.shape[2:], mode="bilinear", align_corners=False)[:, 0]
        # Score-CAM runs one forward pass per channel: the first image only.
        out["scorecam.predicted"] = scorecam(model, layer, images[:1], predicted[:1], chunk=64)
        save_file({k: v.contiguous() for k, v in out.items()}, f"{directory}/{name}.cam.safetensors")


if __name__ == "__main__":
    main(sys.argv[1])
