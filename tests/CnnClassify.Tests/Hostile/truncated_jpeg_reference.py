"""Which cuts of a JPEG PIL refuses, for the truncated-JPEG tests.

Usage: truncated_jpeg_reference.py OUTDIR

Writes OUTDIR/baseline.jpg and OUTDIR/progressive.jpg (a 97x61 photo-like image, the second
progressive, so that its scans end and restart), and for each, copies cut after a range of lengths
(CUT-NAME-LENGTH.jpg) plus one with bytes after its end (NAME-trailing.jpg). OUTDIR/expected.json
maps each file name to whether PIL (11.1 in the Debian 13 root) with its defaults (LOAD_TRUNCATED_IMAGES off) loads it.
"""
import json
import os
import sys

from PIL import Image


def photo():
    image = Image.new("RGB", (97, 61))
    pixels = image.load()
    for y in range(61):
        for x in range(97):
            pixels[x, y] = ((x * 5 + y) % 256, (y * 7 + x * 3) % 256, ((x ^ y) * 11) % 256)
    return image


def loads(path):
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except OSError:
        return False


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    image = photo()
    expected = {}
    for name, progressive in (("baseline", False), ("progressive", True)):
        whole = os.path.join(outdir, f"{name}.jpg")
        image.save(whole, quality=85, progressive=progressive)
        data = open(whole, "rb").read()
        expected[f"{name}.jpg"] = loads(whole)
        cuts = sorted({len(data) * k // 20 for k in range(2, 20)} | {len(data) - 2, len(data) - 1})
        for length in cuts:
            file = f"cut-{name}-{length}.jpg"
            with open(os.path.join(outdir, file), "wb") as f:
                f.write(data[:length])
            expected[file] = loads(os.path.join(outdir, file))
        trailing = f"{name}-trailing.jpg"
        with open(os.path.join(outdir, trailing), "wb") as f:
            f.write(data + b"\x00\x01trailer")
        expected[trailing] = loads(os.path.join(outdir, trailing))
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
