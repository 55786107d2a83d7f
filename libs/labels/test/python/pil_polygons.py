"""Draws filled polygons with Pillow's ImageDraw.polygon(xy, fill=v), as cityscapesScripts
json2labelImg does, and writes the raw pixels.

usage: pil_polygons.py <in.json> <out.raw>
in.json: {"width": W, "height": H, "mode": "L" | "I",
          "cases": [[{"points": [[x, y], ...], "value": v}, ...], ...]}
Each case is drawn in order on a fresh image filled with 0; out.raw holds the images one after the
other, row-major, as little-endian int32.
"""
import json
import sys

import numpy as np
from PIL import Image, ImageDraw


def main(src, dst):
    with open(src) as f:
        spec = json.load(f)
    with open(dst, "wb") as out:
        for case in spec["cases"]:
            img = Image.new(spec["mode"], (spec["width"], spec["height"]), 0)
            draw = ImageDraw.Draw(img)
            for poly in case:
                draw.polygon([tuple(p) for p in poly["points"]], fill=poly["value"])
            out.write(np.array(img).astype("<i4").tobytes())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
