// COCO instances → Cityscapes: each image becomes a frame of city "coco" whose labelIds and
// instanceIds are drawn by cocoLabelMaps (classes matched by name, crowds as groups).
import sharp from 'sharp';
import { DatasetError } from '../errors.ts';
import type { CocoDataset } from '../coco/types.ts';
import { cocoLabelMaps } from './coco-label-maps.ts';
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

/** Writes every image of `ds` as a Cityscapes frame under `outDir`. */
export async function cocoToCityscapes(ds: CocoDataset, imagesRoot: string, outDir: string, split: string): Promise<CocoToCityscapesResult> {
  const byImage = new Map<number, CocoDataset['annotations']>();
  for (const a of ds.annotations) {
    const list = byImage.get(a.image_id) ?? [];
    list.push(a);
    byImage.set(a.image_id, list);
  }
  const unmapped: Record<string, number> = {};
  for (const image of ds.images) {
    const { width, height } = image;
    const maps = cocoLabelMaps(image, byImage.get(image.id) ?? [], ds.categories);
    for (const [name, n] of Object.entries(maps.unmapped)) unmapped[name] = (unmapped[name] ?? 0) + n;
    const { semantic, instances } = maps;
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
