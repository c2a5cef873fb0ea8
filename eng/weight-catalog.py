"""Writes the pretrained-weight catalogue from torchvision's published weight metadata.

Run inside eng/run's root, where torchvision 0.21 is installed:
    eng/run /usr/bin/python3 eng/weight-catalog.py > src/CnnClassify/Models/Pretrained/torchvision-weights.json
Only facts are taken: file URLs, evaluation sizes, interpolation, normalisation, published
accuracies, parameter counts, operation counts (GFLOPS), training-recipe links and the ImageNet category names.
"""
import json
import torchvision
from torchvision.models import get_model_weights

ZOO_TWINS = [
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

categories = None
models = {}
for name in ZOO_TWINS:
    enum = get_model_weights(name)
    entries = []
    for weights in enum:
        meta = weights.meta
        if meta.get("categories") is None:
            continue  # feature-extractor weights without a classifier
        categories = categories or list(meta["categories"])
        assert list(meta["categories"]) == categories
        preset = weights.transforms()
        metrics = meta["_metrics"]["ImageNet-1K"]
        entries.append({
            "name": weights.name,
            "url": weights.url,
            "crop_size": preset.crop_size[0],
            "resize_size": preset.resize_size[0],
            "interpolation": preset.interpolation.value,
            "mean": list(preset.mean),
            "std": list(preset.std),
            "acc1": metrics["acc@1"],
            "acc5": metrics["acc@5"],
            "num_params": meta["num_params"],
            "gflops": meta["_ops"],
            "recipe": meta.get("recipe", ""),
        })
    models[name] = {"default": enum.DEFAULT.name, "weights": entries}

print(json.dumps({
    "source": f"torchvision {torchvision.__version__.split('+')[0]} weight metadata",
    "categories": categories,
    "models": models,
}, indent=1))
