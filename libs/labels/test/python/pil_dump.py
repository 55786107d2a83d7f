"""Decodes images with Pillow + numpy, an independent decoder to check ours against.

usage: pil_dump.py <out.raw> <image> [<image> ...]
Writes each image's np.array(Image.open(path)) as little-endian int32, one after the other, and
prints one JSON line per image: {"mode": ..., "shape": [...]}.
"""
import json
import sys

import numpy as np
from PIL import Image


def main(out, paths):
    with open(out, "wb") as f:
        for path in paths:
            img = Image.open(path)
            arr = np.array(img)
            f.write(arr.astype("<i4").tobytes())
            print(json.dumps({"mode": img.mode, "shape": list(arr.shape)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
