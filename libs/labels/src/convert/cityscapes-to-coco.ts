// Cityscapes → COCO instances: every instance of a hasInstances class becomes an annotation with a
// compressed RLE mask (bit-exact, unlike polygons); groups without an instance index become iscrowd
// RLE. Categories carry the Cityscapes ids and names.
import { basename, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DRAWABLE_LABELS } from '../label-table.ts';
import type { CityscapesSample, SampleObject } from '../sample.ts';
import type { CocoAnnotation, CocoCategory, CocoDataset, CocoImage } from '../coco/types.ts';
import { rleArea, rleToBbox, rleToCompressed } from '../coco/rle.ts';
import { writeCocoDataset } from '../coco/writer.ts';
import { readCityscapes, type CityscapesListOptions } from '../cityscapes/reader.ts';
import { copyFileAtomic } from '../atomic-file.ts';
import { valueRle } from './value-rle.ts';

/** COCO categories for the Cityscapes classes that have instances, with Cityscapes ids and names. */
export const CITYSCAPES_COCO_CATEGORIES: readonly CocoCategory[] = Object.freeze(
  DRAWABLE_LABELS.filter((l) => l.hasInstances).map((l) => ({ id: l.id, name: l.name, supercategory: l.category })),
);

/** The COCO annotation of one object of a Cityscapes frame (without id and image id): its exact mask as compressed RLE. */
export function cityscapesObjectAnnotation(instances: Uint16Array, width: number, height: number, object: SampleObject): Pick<CocoAnnotation, 'category_id' | 'segmentation' | 'area' | 'bbox' | 'iscrowd'> {
  const rle = valueRle(instances, width, height, object.instanceId, object.bbox);
  return { category_id: object.labelId, segmentation: rleToCompressed(rle), area: rleArea(rle), bbox: rleToBbox(rle), iscrowd: object.iscrowd ? 1 : 0 };
}

/** One sample's COCO image entry and annotations; annotation ids start at `firstAnnotationId`. */
export function cityscapesSampleToCoco(
  sample: CityscapesSample,
  imageId: number,
  firstAnnotationId: number,
  fileName: string,
): { image: CocoImage; annotations: CocoAnnotation[] } {
  const image: CocoImage = { id: imageId, file_name: fileName, width: sample.width, height: sample.height };
  const annotations: CocoAnnotation[] = [];
  for (const object of sample.objects) {
    annotations.push({ id: firstAnnotationId + annotations.length, image_id: imageId, ...cityscapesObjectAnnotation(sample.instances, sample.width, sample.height, object) });
  }
  return { image, annotations };
}

export interface CityscapesToCocoResult {
  /** One instances json per split: `<out>/annotations/instances_<split>.json`. */
  jsonPaths: string[];
  images: number;
  annotations: number;
}

/**
 * Converts a Cityscapes root into COCO: images are copied to `<out>/<split>/<file>` and annotations
 * written to `<out>/annotations/instances_<split>.json`. Samples are read one at a time.
 */
export async function cityscapesToCoco(root: string, outDir: string, options: CityscapesListOptions = {}): Promise<CityscapesToCocoResult> {
  const bySplit = new Map<string, CocoDataset>();
  let annotationCount = 0;
  let imageCount = 0;
  for await (const sample of readCityscapes(root, options)) {
    let ds = bySplit.get(sample.split);
    if (!ds) {
      ds = { images: [], annotations: [], categories: CITYSCAPES_COCO_CATEGORIES.map((c) => ({ ...c })) };
      bySplit.set(sample.split, ds);
    }
    const fileName = basename(sample.imagePath);
    const { image, annotations } = cityscapesSampleToCoco(sample, ds.images.length + 1, ds.annotations.length + 1, fileName);
    mkdirSync(join(outDir, sample.split), { recursive: true });
    copyFileAtomic(sample.imagePath, join(outDir, sample.split, fileName));
    ds.images.push(image);
    ds.annotations.push(...annotations);
    imageCount++;
    annotationCount += annotations.length;
  }
  const jsonPaths: string[] = [];
  for (const [split, ds] of [...bySplit.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const path = join(outDir, 'annotations', `instances_${split}.json`);
    mkdirSync(join(outDir, 'annotations'), { recursive: true });
    await writeCocoDataset(path, ds);
    jsonPaths.push(path);
  }
  return { jsonPaths, images: imageCount, annotations: annotationCount };
}
