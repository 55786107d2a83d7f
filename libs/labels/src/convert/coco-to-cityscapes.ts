// COCO instances → Cityscapes: categories are matched to Cityscapes labels by name; each image
// becomes a frame of city "coco" whose labelIds hold the matched classes (0 elsewhere) and whose
// instanceIds number the instances of hasInstances classes labelId*1000+k, crowd regions labelId.
import sharp from 'sharp';
import { labelByName, type Label } from '../label-table.ts';
import { DatasetError } from '../errors.ts';
import type { CocoDataset } from '../coco/types.ts';
import { annotationToRle, rleDecode } from '../coco/rle.ts';
import { copyOrWriteImage, writeCityscapesLabels } from '../cityscapes/writer.ts';
import type { FrameRef } from '../cityscapes/naming.ts';
import { join } from 'node:path';

export const COCO_CITY = 'coco';

export interface CocoToCityscapesResult {
  frames: number;
  /** Annotations whose category has no Cityscapes label of the same name, per category name. */
  unmapped: Record<string, number>;
}

/** The Cityscapes frame a COCO image becomes: `coco_<image id, 6+ digits>_000000`. */
export function cocoFrameRef(imageId: number, split: string): FrameRef {
  return { split, city: COCO_CITY, id: `${COCO_CITY}_${String(imageId).padStart(6, '0')}_000000` };
}

/**
 * Writes every image of `ds` as a Cityscapes frame under `outDir`. Annotations are drawn largest
 * first, so smaller objects stay visible where they overlap larger ones.
 */
export async function cocoToCityscapes(ds: CocoDataset, imagesRoot: string, outDir: string, split: string): Promise<CocoToCityscapesResult> {
  const labelOf = new Map<number, Label | undefined>(ds.categories.map((c) => [c.id, labelByName(c.name)]));
  const categoryName = new Map(ds.categories.map((c) => [c.id, c.name]));
  const byImage = new Map<number, CocoDataset['annotations']>();
  for (const a of ds.annotations) {
    const list = byImage.get(a.image_id) ?? [];
    list.push(a);
    byImage.set(a.image_id, list);
  }
  const unmapped: Record<string, number> = {};
  for (const image of ds.images) {
    const { width, height } = image;
    const semantic = new Uint8Array(width * height);
    const instances = new Uint16Array(width * height);
    const nextIndex = new Map<number, number>();
    const annotations = [...(byImage.get(image.id) ?? [])].sort((a, b) => b.area - a.area || a.id - b.id);
    for (const ann of annotations) {
      const label = labelOf.get(ann.category_id);
      if (!label || label.id < 0) {
        const name = categoryName.get(ann.category_id) ?? String(ann.category_id);
        unmapped[name] = (unmapped[name] ?? 0) + 1;
        continue;
      }
      let value = label.id;
      if (label.hasInstances && !ann.iscrowd) {
        const k = nextIndex.get(label.id) ?? 0;
        if (k > 999) throw new DatasetError(image.file_name, `more than 1000 ${label.name} instances in one image`);
        nextIndex.set(label.id, k + 1);
        value = label.id * 1000 + k;
      }
      const mask = rleDecode(annotationToRle(ann.segmentation, height, width));
      for (let i = 0; i < mask.length; i++) {
        if (mask[i]) {
          semantic[i] = label.id;
          instances[i] = value;
        }
      }
    }
    const ref = cocoFrameRef(image.id, split);
    const source = join(imagesRoot, image.file_name);
    const { data, info } = await sharp(source).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
      .catch((err: Error) => { throw new DatasetError(source, `cannot decode image: ${err.message}`); });
    if (info.width !== width || info.height !== height) {
      throw new DatasetError(source, `image is ${info.width}x${info.height} but the COCO json says ${width}x${height}`);
    }
    await copyOrWriteImage(outDir, ref, { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
    await writeCityscapesLabels(outDir, ref, { width, height, semantic, instances });
  }
  return { frames: ds.images.length, unmapped };
}
