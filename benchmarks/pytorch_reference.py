"""PyTorch 2.6 reference numbers for docs/benchmarks.md, run inside the Debian 13 root.

Usage: /usr/bin/python3 benchmarks/pytorch_reference.py training|phases|loader [options]

training: images/s of a plain training loop (Adam, cross-entropy) for the same models, input
          sizes and batches as `CnnClassify.Benchmarks training`, in float32 and under
          torch.autocast("cpu", torch.bfloat16); one warm-up epoch each, then the medians of five
          epochs, fp32 and bf16 taking turns.
          --channels-last puts the model and the batches in torch.channels_last; --model NAME
          runs one model only.
phases:   forward, backward and Adam step of one training step in ms, timed separately over one
          fixed batch, fp32 and bf16 autocast in turns (as `CnnClassify.Benchmarks phases`);
          --model resnet18|simplecnn, --size N, --batch-size N, --channels-last.
loader:   images/s of torchvision's ImageFolder + DataLoader with the same augmentation as
          `CnnClassify.Benchmarks loader`, on a folder of JPEGs given with --folder.
"""
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import transforms as T


class SimpleCNN(nn.Module):
    """The seed's SimpleCNN, as CnnClassify's SimpleCnn: 390,858 parameters for 10 classes."""

    def __init__(self):
        super().__init__()
        layers, channels = [], 1
        for width in (32, 64, 128):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(128 * 3 * 3, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def rate(images_per_second):
    return f"{images_per_second:,.1f}" if images_per_second < 100 else f"{images_per_second:,.0f}"


def training(batches=20, channels_last=False, only=None):
    layout = torch.channels_last if channels_last else torch.contiguous_format
    print(f"PyTorch {torch.__version__}, threads {torch.get_num_threads()}, {batches} batches per epoch, {layout}")
    print("| Model | Input | Batch | fp32 images/s | bf16 autocast images/s | bf16 / fp32 |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, channels, size, batch in [("simplecnn", 1, 28, 128), ("resnet18", 3, 32, 128), ("resnet18", 3, 224, 16)]:
        if only and name != only:
            continue
        count = batch * (max(4, batches // 2) if size > 64 else batches)
        images = torch.randint(0, 256, (count, channels, size, size), dtype=torch.uint8)
        labels = torch.arange(count) % 10
        runs = []
        for bf16 in (False, True):
            torch.manual_seed(0)
            model = SimpleCNN() if name == "simplecnn" else torchvision.models.resnet18(num_classes=10)
            model = model.to(memory_format=layout)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

            def epoch(model=model, optimizer=optimizer, bf16=bf16):
                model.train()
                order = torch.randperm(count)
                start = time.perf_counter()
                for b in range(0, count, batch):
                    idx = order[b:b + batch]
                    x = images[idx].float().div_(255).contiguous(memory_format=layout)
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                        loss = F.cross_entropy(model(x), labels[idx])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                return count / (time.perf_counter() - start)

            epoch()
            runs.append(epoch)
        # fp32 and bf16 take their timed epochs in turns, so drift in the machine's speed reaches both.
        timed = [[run() for run in runs] for _ in range(5)]
        rates = [statistics.median(t[i] for t in timed) for i in range(2)]
        print(f"| {name} | {channels}x{size}x{size} | {batch} | {rate(rates[0])} | {rate(rates[1])} | {rates[1] / rates[0]:.2f}x |")


def phases(name="resnet18", size=32, batch=128, channels_last=False, steps=15):
    layout = torch.channels_last if channels_last else torch.contiguous_format
    channels = 1 if name == "simplecnn" else 3
    torch.manual_seed(0)
    x = torch.rand(batch, channels, size, size).contiguous(memory_format=layout)
    y = torch.randint(0, 10, (batch,))
    series = []
    for bf16 in (False, True):
        torch.manual_seed(1)
        model = SimpleCNN() if name == "simplecnn" else torchvision.models.resnet18(num_classes=10)
        model = model.to(memory_format=layout).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(model=model, optimizer=optimizer, bf16=bf16):
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(model(x), y)
            loss.item()
            forward = time.perf_counter()
            optimizer.zero_grad()
            loss.backward()
            backward = time.perf_counter()
            optimizer.step()
            end = time.perf_counter()
            return [1000 * (forward - start), 1000 * (backward - forward), 1000 * (end - backward)]

        step()
        series.append(step)
    times = [[run() for run in series] for _ in range(steps)]
    print(f"PyTorch {torch.__version__} step phases, {name} {channels}x{size}x{size}, batch {batch}, {layout}, threads {torch.get_num_threads()}, medians of {steps} steps (ms)")
    print("| Precision | Forward | Backward | Adam step | Total | images/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for i, label in enumerate(("fp32", "bf16")):
        f, b, s = (statistics.median(t[i][k] for t in times) for k in range(3))
        total = statistics.median(sum(t[i]) for t in times)
        print(f"| {label} | {f:.1f} | {b:.1f} | {s:.1f} | {total:.1f} | {batch * 1000 / total:.0f} |")


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def loader(folder, workers_list=(1, 2, 4)):
    print(f"torchvision {torchvision.__version__} ImageFolder + DataLoader on {folder}")
    print("| Images | Pipeline | Workers | Images/s |")
    print("| --- | --- | ---: | ---: |")
    for size in (32, 224):
        root = os.path.join(folder, str(size))
        if size == 32:
            name = "RandomCrop(32, pad 4), flip, ToTensor, Normalize"
            transform = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
        else:
            name = "RandomResizedCrop(224), flip, ToTensor, Normalize"
            transform = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
        dataset = torchvision.datasets.ImageFolder(root, transform)
        for workers in workers_list:
            data = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True, num_workers=workers, persistent_workers=True)

            def epoch():
                start = time.perf_counter()
                n = sum(len(labels) for _, labels in data)
                return n / (time.perf_counter() - start)

            epoch()
            print(f"| {size}x{size} | {name} | {workers} | {statistics.median(epoch() for _ in range(3)):,.0f} |")


if __name__ == "__main__":
    if sys.argv[1] == "training":
        training(channels_last="--channels-last" in sys.argv, only=option("--model", None))
    elif sys.argv[1] == "phases":
        phases(option("--model", "resnet18"), int(option("--size", "32")), int(option("--batch-size", "128")), "--channels-last" in sys.argv)
    else:
        loader(sys.argv[sys.argv.index("--folder") + 1])
