// Shared by the coco-*.test.ts files: where the real data lives and small independent mask helpers.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REAL = fileURLToPath(new URL('../../../../shared/data/real', import.meta.url));
export const REAL_RLE_JSON = join(REAL, 'rle', 'bdd100k_test-rle_as_coco.json');
export const REAL_COCO_DIR = join(REAL, 'coco');
export const REAL_COCO_JSONS = ['train2017', 'val2017'].map((split) => ({
  split,
  json: join(REAL_COCO_DIR, 'annotations', `instances_${split}.json`),
  images: join(REAL_COCO_DIR, 'images', split),
}));

/** A test option that skips when a real-data file is absent. */
export const needs = (path: string): { skip: string | false } => ({ skip: existsSync(path) ? false : `${path} is absent` });

/** Tight [x, y, w, h] around the non-zero pixels of a row-major mask, computed pixel by pixel. */
export function maskBbox(mask: Uint8Array, width: number, height: number): [number, number, number, number] {
  let xs = width;
  let ys = height;
  let xe = -1;
  let ye = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) {
        if (x < xs) xs = x;
        if (x > xe) xe = x;
        if (y < ys) ys = y;
        if (y > ye) ye = y;
      }
    }
  }
  return xe < 0 ? [0, 0, 0, 0] : [xs, ys, xe - xs + 1, ye - ys + 1];
}

export function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return n;
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
