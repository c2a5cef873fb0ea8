"""Writes the pretrained-weight catalogue from torchvision's published weight metadata.

Run inside eng/run's root, where torchvision 0.21 is installed:
    eng/run /usr/bin/python3 eng/weight-catalog.py > src/CnnClassify/Models/Pretrained/torchvision-weights.json
Only facts are taken: file URLs, evaluation sizes, interpolation, normalisation, published
accuracies, parameter counts, training-recipe links and the ImageNet category names.
"""
import json
import torchvision
from torchvision.models import get_model_weights

ZOO_TWINS = [
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "googlenet", "mobilenet_v2",
    "densenet121", "densenet169", "efficientnet_b0",
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
            "recipe": meta.get("recipe", ""),
        })
    models[name] = {"default": enum.DEFAULT.name, "weights": entries}

print(json.dumps({
    "source": f"torchvision {torchvision.__version__.split('+')[0]} weight metadata",
    "categories": categories,
    "models": models,
}, indent=1))
