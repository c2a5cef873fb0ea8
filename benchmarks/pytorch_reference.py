"""PyTorch 2.6 reference numbers for docs/benchmarks.md, run inside the Debian 13 root.

Usage: /usr/bin/python3 benchmarks/pytorch_reference.py training|phases|loader|make-photos|make-weights|photos|decode|forward [options]

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
make-photos: writes a folder of phone-sized JPEGs (--width 4000 --height 3000, --per-class 40
          train and 20 test images in each of 6 classes, --seed 0) to --out, then make-weights.
make-weights: seeded torchvision ResNet-18 weights to --weights FILE, their BatchNorm statistics
          taken from 64 of the photos in --data (this machine cannot download the published ones).
photos:   the seed's frozen-backbone recipe on such a folder (--data DIR, --weights FILE):
          ImageFolder + PIL, Resize(256), CenterCrop(224), a 2-worker DataLoader, ResNet-18 with
          only its fc layer trained (Adam, --lr 0.01, --batch-size 16) for 3 epochs with a 10 % validation
          split, then test accuracy; prints the time of each phase.
decode:   images/s of PIL decoding the folder's JPEGs at full size and with draft() at the
          size a Resize(256) needs (--data DIR).
forward:  images/s of evaluation-mode forward passes of torchvision models (--models a,b,...),
          float32, batch --batch-size (16) at each model's default input (299 for inception_v3,
          else 224), after two warm-up batches, over --batches (5); one line per model, so that
          `CnnClassify.Benchmarks zoo` can take turns with it.
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


def training(batches=20, channels_last=False, only=None, only_size=None):
    layout = torch.channels_last if channels_last else torch.contiguous_format
    print(f"PyTorch {torch.__version__}, threads {torch.get_num_threads()}, {batches} batches per epoch, {layout}")
    print("| Model | Input | Batch | fp32 images/s | bf16 autocast images/s | bf16 / fp32 |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, channels, size, batch in [("simplecnn", 1, 28, 128), ("resnet18", 3, 32, 128), ("resnet18", 3, 224, 16)]:
        if (only and name != only) or (only_size and size != only_size):
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


PHOTO_CLASSES = ["beach", "city", "forest", "night", "snow", "sunset"]


def make_photos(out, weights, width=4000, height=3000, per_class=40, test_per_class=20, seed=0):
    """Photo-like JPEGs whose class sets the palette and the kind of shapes, with sensor noise."""
    import numpy as np
    from PIL import Image
    palettes = {"beach": (220, 200, 150), "city": (120, 120, 130), "forest": (40, 110, 50),
                "night": (20, 25, 60), "snow": (235, 240, 250), "sunset": (240, 120, 60)}
    rng = np.random.default_rng(seed)
    small_h, small_w = height // 4, width // 4
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    for split, count in (("train", per_class), ("test", test_per_class)):
        for c, name in enumerate(PHOTO_CLASSES):
            folder = os.path.join(out, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                base = np.array(palettes[name], np.float32)
                light = 0.6 + 0.4 * (xx + yy * rng.uniform(0.2, 1.5)) / (small_w + small_h)
                img = base[None, None, :] * light[..., None]
                for _ in range(8):
                    cx, cy = rng.uniform(0, small_w), rng.uniform(0, small_h)
                    r = rng.uniform(0.05, 0.3) * small_h
                    colour = np.clip(base + rng.normal(0, 60, 3) + (c - 2.5) * 15, 0, 255)
                    if c % 2 == 0:
                        mask = ((xx - cx) ** 2 + (yy - cy) ** 2 < r * r).astype(np.float32)
                    else:
                        mask = ((np.abs(xx - cx) < r) & (np.abs(yy - cy) < r * 0.5)).astype(np.float32)
                    img = img * (1 - mask[..., None]) + colour[None, None, :] * mask[..., None]
                big = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
                pixels = np.asarray(big, np.int16) + rng.integers(-8, 9, (height, width, 1), dtype=np.int16)
                Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
                    os.path.join(folder, f"{seed}-{i:04d}.jpg"), quality=90, subsampling=2)
    print(f"wrote {len(PHOTO_CLASSES) * (per_class + test_per_class)} {width}x{height} JPEGs to {out}")
    if weights:
        make_weights(out, weights)


def make_weights(data, weights, batches=4):
    """Seeded ResNet-18 weights whose BatchNorm statistics come from the folder's own photos, so that
    the frozen backbone's features keep their scale, as trained weights' do."""
    from PIL import Image
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None  # a plain average over the calibration batches
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    files = sorted(os.path.join(root, f) for root, _, names in os.walk(os.path.join(data, "train")) for f in names)
    files = files[::max(1, len(files) // (16 * batches))][:16 * batches]
    model.train()
    with torch.no_grad():
        for i in range(0, len(files), 16):
            images = []
            for f in files[i:i + 16]:
                with Image.open(f) as im:
                    im.draft("RGB", (512, 384))
                    images.append(transform(im.convert("RGB")))
            model(torch.stack(images))
    os.makedirs(os.path.dirname(os.path.abspath(weights)), exist_ok=True)
    torch.save(model.state_dict(), weights)
    print(f"wrote seeded ResNet-18 weights, BatchNorm statistics from {len(files)} of the photos, to {weights}")


def photos(data, weights, epochs=3, workers=2, lr=0.01, batch=16):
    start = time.perf_counter()
    torch.manual_seed(0)
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    full = torchvision.datasets.ImageFolder(os.path.join(data, "train"), transform)
    test = torchvision.datasets.ImageFolder(os.path.join(data, "test"), transform)
    n_val = max(1, round(len(full) * 0.1))
    train, val = torch.utils.data.random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(0))
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(weights, weights_only=True))
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(512, len(full.classes))
    optimizer = torch.optim.Adam(model.fc.parameters(), lr)
    loaders = {name: torch.utils.data.DataLoader(d, batch_size=batch if name == "train" else 256, shuffle=(name == "train"), num_workers=workers)
               for name, d in (("train", train), ("val", val), ("test", test))}
    setup = time.perf_counter() - start
    fit_start = time.perf_counter()
    for epoch in range(epochs):
        epoch_start = time.perf_counter()
        model.train()
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        for images, labels in loaders["train"]:
            optimizer.zero_grad()
            F.cross_entropy(model(images), labels).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loaders["val"])
        print(f"epoch {epoch + 1}: {time.perf_counter() - epoch_start:.1f} s, val acc {correct / n_val:.4f}", flush=True)
    fit = time.perf_counter() - fit_start
    test_start = time.perf_counter()
    with torch.no_grad():
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loaders["test"])
    test_time = time.perf_counter() - test_start
    total = time.perf_counter() - start
    print(f"pytorch photos: set-up {setup:.1f} s, fit {fit:.1f} s, test {test_time:.1f} s, total {total:.1f} s, "
          f"test accuracy {correct / len(test):.4f} ({len(train)} train, {n_val} validation, {len(test)} test)")


def decode(data, count=40):
    from PIL import Image
    files = sorted(os.path.join(root, f) for root, _, names in os.walk(os.path.join(data, "train")) for f in names)[:count]
    for mode in ("full", "draft"):
        start = time.perf_counter()
        for f in files:
            with Image.open(f) as im:
                if mode == "draft":
                    w, h = im.size
                    im.draft("RGB", (max(256, round(256 * w / h)), max(256, round(256 * h / w))))
                im.convert("RGB").load()
        print(f"PIL {mode} decode: {len(files) / (time.perf_counter() - start):.1f} images/s over {len(files)} files")


def forward(names, batch=16, batches=5):
    for name in names:
        model = getattr(torchvision.models, name)(weights=None).eval()
        size = 299 if name == "inception_v3" else 224
        x = torch.randn(batch, 3, size, size)
        with torch.no_grad():
            for _ in range(2):
                model(x)
            start = time.perf_counter()
            for _ in range(batches):
                model(x)
            seconds = time.perf_counter() - start
        print(f"{name} {batch * batches / seconds:.2f}", flush=True)


if __name__ == "__main__":
    print(f"PyTorch {torch.__version__}: ATen {torch.backends.cpu.get_cpu_capability()} kernels, "
          f"AVX-512 BF16 {torch._C._cpu._is_avx512_bf16_supported()}, AMX {torch._C._cpu._is_amx_tile_supported()}", flush=True)
    if sys.argv[1] == "training":
        training(int(option("--batches", "20")), channels_last="--channels-last" in sys.argv, only=option("--model", None),
                 only_size=int(option("--size", "0")) or None)
    elif sys.argv[1] == "phases":
        phases(option("--model", "resnet18"), int(option("--size", "32")), int(option("--batch-size", "128")), "--channels-last" in sys.argv)
    elif sys.argv[1] == "make-photos":
        make_photos(option("--out", "/tmp/photos"), option("--weights", "/tmp/photos-weights/resnet18.pth"),
                    int(option("--width", "4000")), int(option("--height", "3000")), int(option("--per-class", "40")), int(option("--test-per-class", "20")), int(option("--seed", "0")))
    elif sys.argv[1] == "make-weights":
        make_weights(option("--data", "/tmp/photos"), option("--weights", "/tmp/photos-weights/resnet18.pth"))
    elif sys.argv[1] == "photos":
        photos(option("--data", "/tmp/photos"), option("--weights", "/tmp/photos-weights/resnet18.pth"), int(option("--epochs", "3")), int(option("--workers", "2")), float(option("--lr", "0.01")),
               int(option("--batch-size", "16")))
    elif sys.argv[1] == "decode":
        decode(option("--data", "/tmp/photos"))
    elif sys.argv[1] == "forward":
        forward(option("--models", "resnet50").split(","), int(option("--batch-size", "16")), int(option("--batches", "5")))
    else:
        loader(sys.argv[sys.argv.index("--folder") + 1])
