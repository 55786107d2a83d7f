// COCO instances → Cityscapes: each image becomes a frame whose labelIds and instanceIds are drawn by
// cocoLabelMaps (classes matched by name, crowds as groups). An image whose file_name is a Cityscapes
// name (as `convert` and the builds write them) keeps that frame; any other is a frame of city "coco".
import sharp from 'sharp';
import { DatasetError } from '../errors.ts';
import type { CocoDataset } from '../coco/types.ts';
import { cocoLabelMaps } from './coco-label-maps.ts';
import { copyOrWriteImage, writeCityscapesLabels } from '../cityscapes/writer.ts';
import { parseFrameId, type FrameRef } from '../cityscapes/naming.ts';
import { join } from 'node:path';

export const COCO_CITY = 'coco';

export interface CocoToCityscapesResult {
  frames: number;
  /** Annotations whose category has no Cityscapes label of the same name, per category name. */
  unmapped: Record<string, number>;
}

/** `lindau_000000_000019_leftImg8bit.png` (or without `_leftImg8bit`, or .jpg), in any folder. */
const CITYSCAPES_IMAGE_NAME = /^(.+_\d{6}_\d{6})(?:_leftImg8bit)?\.(?:png|jpe?g)$/i;

/**
 * The Cityscapes frame a COCO image becomes: the one its file_name names when that is a Cityscapes
 * image name, else `coco_<image id, 6+ digits>_000000`.
 */
export function cocoFrameRef(image: { id: number; file_name: string }, split: string): FrameRef {
  const name = CITYSCAPES_IMAGE_NAME.exec(image.file_name.split(/[\\/]/).pop() ?? '');
  if (name) return { split, city: parseFrameId(name[1]).city, id: name[1] };
  return { split, city: COCO_CITY, id: `${COCO_CITY}_${String(image.id).padStart(6, '0')}_000000` };
}

/** Every image's frame; two images that name the same frame both fall back to their image ids. */
function frameRefs(images: CocoDataset['images'], split: string, imagesRoot: string): FrameRef[] {
  const named = images.map((image) => cocoFrameRef(image, split));
  const count = new Map<string, number>();
  for (const r of named) count.set(r.id, (count.get(r.id) ?? 0) + 1);
  const refs = named.map((r, i) => (count.get(r.id)! > 1 ? cocoFrameRef({ id: images[i].id, file_name: '' }, split) : r));
  const seen = new Map<string, number>();
  refs.forEach((r, i) => {
    const other = seen.get(r.id);
    if (other !== undefined) throw new DatasetError(imagesRoot, `COCO images ${images[other].id} and ${images[i].id} would both become Cityscapes frame ${r.id}`);
    seen.set(r.id, i);
  });
  return refs;
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
  const refs = frameRefs(ds.images, split, imagesRoot);
  for (const [k, image] of ds.images.entries()) {
    const { width, height } = image;
    const maps = cocoLabelMaps(image, byImage.get(image.id) ?? [], ds.categories);
    for (const [name, n] of Object.entries(maps.unmapped)) unmapped[name] = (unmapped[name] ?? 0) + n;
    const { semantic, instances } = maps;
    const ref = refs[k];
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
