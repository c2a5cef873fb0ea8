"""Reference outputs of torchvision 0.21's augmentation policies for AugmentationPolicyTests.

Reads FOLDER/cases.json and the raw uint8 images it names; for every case, takes the magnitude
from the policy's own augmentation space at the given bin (negated when asked), applies the
operation with the policy's interpolation and fill, and writes FOLDER/out-N.bin and
FOLDER/magnitudes.json. For AugMix plans it mixes the chains with the given float32 weights the
way torchvision's AugMix.forward does.
"""
import json
import sys

import torch
from torchvision.transforms import InterpolationMode, autoaugment

folder = sys.argv[1]
spec = json.load(open(f"{folder}/cases.json"))
images = {}
for name, shape in spec["images"].items():
    data = open(f"{folder}/{name}.bin", "rb").read()
    images[name] = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(shape)

modes = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR}


def policy(name, fill, interpolation):
    mode = modes[interpolation]
    if name == "randaugment":
        return autoaugment.RandAugment(interpolation=mode, fill=fill), 31
    if name == "trivialaugment":
        return autoaugment.TrivialAugmentWide(interpolation=mode, fill=fill), 31
    if name == "autoaugment":
        return autoaugment.AutoAugment(interpolation=mode, fill=fill), 10
    if name == "augmix":
        return autoaugment.AugMix(interpolation=mode, fill=fill), 10
    raise ValueError(name)


def space(transform, bins, height, width):
    if isinstance(transform, autoaugment.TrivialAugmentWide):
        return transform._augmentation_space(bins)
    return transform._augmentation_space(bins, (height, width))


magnitudes = []
for index, case in enumerate(spec["cases"]):
    image = images[case["image"]]
    fill = case.get("fill")
    if fill is not None and len(fill) == 1:
        fill = [float(fill[0])] * image.shape[0]
    transform, bins = policy(case["policy"], fill, case["interpolation"])
    if "chains" in case:
        batch = image.view([1] + list(image.shape))
        mix = torch.tensor([case["original"]], dtype=torch.float32).view(1, 1, 1, 1) * batch
        for weight, chain in zip(case["weights"], case["chains"]):
            augmented = batch
            for op, magnitude in chain:
                augmented = autoaugment._apply_op(augmented, op, magnitude, interpolation=transform.interpolation, fill=fill)
            mix.add_(torch.tensor([weight], dtype=torch.float32).view(1, 1, 1, 1) * augmented)
        result = mix.view(image.shape).to(torch.uint8)
        magnitudes.append(None)
    else:
        table, signed = space(transform, bins, image.shape[1], image.shape[2])[case["op"]]
        magnitude = float(table[case["bin"]].item()) if table.ndim > 0 else 0.0
        if case["negative"]:
            assert signed, case
            magnitude *= -1.0
        magnitudes.append(magnitude)
        result = autoaugment._apply_op(image, case["op"], magnitude, interpolation=transform.interpolation, fill=fill)
    open(f"{folder}/out-{index}.bin", "wb").write(result.contiguous().numpy().tobytes())

json.dump(magnitudes, open(f"{folder}/magnitudes.json", "w"))
print(f"{len(spec['cases'])} cases")
