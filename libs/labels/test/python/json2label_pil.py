"""Rasterises a Cityscapes polygons json with Pillow, following cityscapesScripts
preparation/json2labelImg.py (createLabelImage, encoding "ids") and json2instanceImg.py
(createInstanceImage, encoding "ids"), and writes the raw pixels.

usage: json2label_pil.py <polygons.json> <labelIds.raw> <instanceIds.raw>
labelIds.raw: uint8 row-major; instanceIds.raw: little-endian int32 row-major.
"""
import json
import sys

import numpy as np
from PIL import Image, ImageDraw

# (name, id, hasInstances) from cityscapesScripts helpers/labels.py
LABELS = [
    ("unlabeled", 0, False), ("ego vehicle", 1, False), ("rectification border", 2, False),
    ("out of roi", 3, False), ("static", 4, False), ("dynamic", 5, False), ("ground", 6, False),
    ("road", 7, False), ("sidewalk", 8, False), ("parking", 9, False), ("rail track", 10, False),
    ("building", 11, False), ("wall", 12, False), ("fence", 13, False), ("guard rail", 14, False),
    ("bridge", 15, False), ("tunnel", 16, False), ("pole", 17, False), ("polegroup", 18, False),
    ("traffic light", 19, False), ("traffic sign", 20, False), ("vegetation", 21, False),
    ("terrain", 22, False), ("sky", 23, False), ("person", 24, True), ("rider", 25, True),
    ("car", 26, True), ("truck", 27, True), ("bus", 28, True), ("caravan", 29, True),
    ("trailer", 30, True), ("train", 31, True), ("motorcycle", 32, True), ("bicycle", 33, True),
    ("license plate", -1, False),
]
NAME2LABEL = {name: (lid, inst) for name, lid, inst in LABELS}


def label_image(ann):
    img = Image.new("L", (ann["imgWidth"], ann["imgHeight"]), 0)
    drawer = ImageDraw.Draw(img)
    for obj in ann["objects"]:
        if obj.get("deleted", 0):
            continue
        label = obj["label"]
        if label not in NAME2LABEL and label.endswith("group"):
            label = label[: -len("group")]
        lid = NAME2LABEL[label][0]
        if lid < 0:
            continue
        drawer.polygon([tuple(p) for p in obj["polygon"]], fill=lid)
    return np.array(img).astype(np.uint8)


def instance_image(ann):
    img = Image.new("I", (ann["imgWidth"], ann["imgHeight"]), 0)
    drawer = ImageDraw.Draw(img)
    counts = {name: 0 for name, _, inst in LABELS if inst}
    for obj in ann["objects"]:
        if obj.get("deleted", 0):
            continue
        label = obj["label"]
        is_group = False
        if label not in NAME2LABEL and label.endswith("group"):
            label = label[: -len("group")]
            is_group = True
        lid, has_instances = NAME2LABEL[label]
        if has_instances and not is_group and lid != 255:
            lid = lid * 1000 + counts[label]
            counts[label] += 1
        if lid < 0:
            continue
        drawer.polygon([tuple(p) for p in obj["polygon"]], fill=lid)
    return np.array(img).astype("<i4")


def main(src, label_out, instance_out):
    with open(src) as f:
        ann = json.load(f)
    with open(label_out, "wb") as f:
        f.write(label_image(ann).tobytes())
    with open(instance_out, "wb") as f:
        f.write(instance_image(ann).tobytes())


if __name__ == "__main__":
    main(*sys.argv[1:4])
