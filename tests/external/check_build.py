"""Reads a nightshift build with the outside tools a trainer would use, and checks it against itself.

COCO: pycocotools loads each instances_<split>.json, decodes every annotation (annToMask) and
checks it against the Cityscapes output's instanceIds (cityscapesScripts' convention: id*1000+k
for an instance, the labelId for a group or for stuff), together with area and bbox. Cityscapes:
labelIds == instanceIds // 1000 where instanceIds >= 1000, else instanceIds, as json2instanceImg
writes them. Prints one line per split and exits 1 with the first mismatch.

usage: python3 check_build.py <build folder>
"""
import glob
import os
import sys

import numpy as np
from PIL import Image
from pycocotools.coco import COCO
import pycocotools.mask as mask_util


def fail(message):
    print(f"MISMATCH: {message}")
    sys.exit(1)


def main(root):
    jsons = sorted(glob.glob(os.path.join(root, "coco", "annotations", "instances_*.json")))
    if not jsons:
        fail(f"no COCO json under {root}/coco/annotations")
    for path in jsons:
        split = os.path.basename(path)[len("instances_"):-len(".json")]
        coco = COCO(path)
        annotations = 0
        for image in coco.loadImgs(coco.getImgIds()):
            name = image["file_name"]
            frame = name[: -len("_leftImg8bit.png")]
            city = name.split("_")[0]
            gt = os.path.join(root, "cityscapes", "gtFine", split, city, frame)
            instances = np.array(Image.open(f"{gt}_gtFine_instanceIds.png"), dtype=np.int64)
            label_ids = np.array(Image.open(f"{gt}_gtFine_labelIds.png"), dtype=np.int64)
            expected_labels = np.where(instances >= 1000, instances // 1000, instances)
            if not np.array_equal(label_ids, expected_labels):
                fail(f"{frame}: labelIds disagree with instanceIds")
            translated = Image.open(os.path.join(root, "coco", "images", split, name))
            if translated.size != (image["width"], image["height"]) or instances.shape != (image["height"], image["width"]):
                fail(f"{name}: image {translated.size}, labels {instances.shape[::-1]}, json {image['width']}x{image['height']}")
            covered = set()
            for ann in coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]])):
                m = coco.annToMask(ann).astype(bool)
                if ann.get("ignore") == 1:
                    # --on-flag ignore: the flagged object's pixels are labelId 0 (unlabeled) in Cityscapes.
                    if instances[m].any() or label_ids[m].any():
                        fail(f"ignored annotation {ann['id']} of {name} still has labels under its mask")
                    annotations += 1
                    continue
                values = np.unique(instances[m])
                if len(values) != 1:
                    fail(f"annotation {ann['id']} of {name} covers instance values {values[:8]}")
                value = int(values[0])
                category = value // 1000 if value >= 1000 else value
                if category != ann["category_id"] or bool(ann["iscrowd"]) != (value < 1000):
                    fail(f"annotation {ann['id']} of {name}: category {ann['category_id']} iscrowd {ann['iscrowd']} over instance value {value}")
                if not np.array_equal(m, instances == value):
                    fail(f"annotation {ann['id']} of {name}: mask differs from instanceIds == {value}")
                rle = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
                if int(mask_util.area(rle)) != int(round(ann["area"])):
                    fail(f"annotation {ann['id']} of {name}: area {ann['area']} but the mask has {int(mask_util.area(rle))} pixels")
                if not np.allclose(mask_util.toBbox(rle), ann["bbox"]):
                    fail(f"annotation {ann['id']} of {name}: bbox {ann['bbox']} but the mask's is {mask_util.toBbox(rle).tolist()}")
                covered.add(value)
                annotations += 1
            objects = {int(v) for v in np.unique(instances) if v >= 1000}
            if not objects <= covered:
                fail(f"{name}: instances {sorted(objects - covered)[:8]} have no annotation")
        print(f"{split}: {len(coco.getImgIds())} images, {annotations} annotations decoded by pycocotools and equal to the Cityscapes instanceIds")


if __name__ == "__main__":
    main(sys.argv[1])
