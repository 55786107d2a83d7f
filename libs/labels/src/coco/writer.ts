// Writing COCO instances json: canonical key order, so the same dataset always gives the same bytes,
// and an atomic replace, so a reader never sees a half-written file.

import { writeFileAtomic } from '../atomic-file.ts';
import type { Box } from '../sample.ts';
import { rleArea, rleEncode, rleToBbox, rleToString, type CompressedRle } from './rle.ts';
import type { CocoDataset } from './types.ts';

// Known keys come first in the order the COCO files use; any other keys follow, sorted.
const KEY_ORDER: Record<string, readonly string[]> = {
  dataset: ['info', 'licenses', 'images', 'annotations', 'categories'],
  info: ['description', 'url', 'version', 'year', 'contributor', 'date_created'],
  license: ['id', 'name', 'url'],
  image: ['id', 'file_name', 'width', 'height', 'license', 'coco_url', 'flickr_url', 'date_captured'],
  annotation: ['id', 'image_id', 'category_id', 'segmentation', 'area', 'bbox', 'iscrowd'],
  segmentation: ['size', 'counts'],
  category: ['id', 'name', 'supercategory'],
};

type Kind = keyof typeof KEY_ORDER | 'other';

function childKind(kind: Kind, key: string | undefined, inArray: boolean): Kind {
  if (kind === 'dataset' && key !== undefined) {
    if (key === 'info') return 'info';
    if (key === 'licenses') return 'license';
    if (key === 'images') return 'image';
    if (key === 'annotations') return 'annotation';
    if (key === 'categories') return 'category';
  }
  if (kind === 'annotation' && key === 'segmentation') return 'segmentation';
  if (inArray) return kind; // elements of images[] are images, etc.
  return 'other';
}

function canonical(value: unknown, kind: Kind, at: string): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} at ${at || '/'}: JSON has no such number`);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    // An array of numbers (polygons, counts, bbox) is left as it is after the finiteness check.
    return value.map((v, i) => canonical(v, childKind(kind, undefined, true), `${at}/${i}`));
  }
  const record = value as Record<string, unknown>;
  const known = kind === 'other' ? [] : KEY_ORDER[kind];
  const keys = [
    ...known.filter((k) => Object.hasOwn(record, k)),
    ...Object.keys(record).filter((k) => !known.includes(k)).sort(),
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (record[key] === undefined) continue;
    out[key] = canonical(record[key], childKind(kind, key, false), `${at}/${key}`);
  }
  return out;
}

/** The exact text writeCocoDataset writes: compact JSON in canonical key order, newline-terminated. */
export function cocoDatasetToJson(ds: CocoDataset): string {
  return `${JSON.stringify(canonical(ds, 'dataset', ''))}\n`;
}

/** Writes a COCO instances json deterministically (stable key order) and atomically. */
export async function writeCocoDataset(path: string, ds: CocoDataset): Promise<void> {
  writeFileAtomic(path, cocoDatasetToJson(ds));
}

/** A row-major mask as compressed RLE `{size: [h, w], counts: string}`, the form pycocotools' encode returns. */
export function maskToSegmentation(mask: Uint8Array, width: number, height: number): CompressedRle {
  const rle = rleEncode(mask, height, width);
  return { size: [height, width], counts: rleToString(rle) };
}

/** The mask-derived fields of an annotation, all from one RLE so they agree with each other. */
export interface CocoMaskFields {
  segmentation: CompressedRle;
  /** Foreground pixel count. */
  area: number;
  bbox: Box;
  iscrowd: 0 | 1;
}

/** segmentation (compressed RLE), area, bbox and iscrowd of an annotation from a row-major mask. */
export function maskToAnnotationFields(mask: Uint8Array, width: number, height: number, options: { iscrowd: boolean }): CocoMaskFields {
  const rle = rleEncode(mask, height, width);
  return {
    segmentation: { size: [height, width], counts: rleToString(rle) },
    area: rleArea(rle),
    bbox: rleToBbox(rle),
    iscrowd: options.iscrowd ? 1 : 0,
  };
}
