"""Loads weights saved by CnnClassify into the torchvision twin and runs it.

Usage: load_in_torchvision.py NAME NUM_CLASSES WEIGHTS.safetensors INPUT.safetensors OUT.safetensors

load_state_dict is strict, so every key and shape must match torchvision's. The eval-mode logits
for the 'input' tensor are written to OUT under 'logits'.
"""
import sys

import torch
from safetensors.torch import load_file, save_file
from torchvision import models as tvm

name, num_classes, weights, inputs, out = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
model = getattr(tvm, name)(weights=None, num_classes=num_classes)
model.load_state_dict(load_file(weights))
model.eval()
with torch.no_grad():
    logits = model(load_file(inputs)["input"])
save_file({"logits": logits.contiguous()}, out)
