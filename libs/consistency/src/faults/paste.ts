// Hallucinating an object into an image: an object cut by its mask out of a donor image is pasted onto
// road or sidewalk of the target, scaled in brightness per channel so that the donor's surroundings
// would match the target's surroundings (a day donor turns as dark as the night target).
import { labelIdOf } from '@nightshift/labels';
import { DEFAULT_THRESHOLDS } from '../thresholds.ts';
import type { LabelMaps, RgbImage } from '../image.ts';
import { isObjectId } from '../instances.ts';
import { Prng } from './prng.ts';

export interface PasteTruth {
  kind: 'added';
  labelId: number;
  /** Box [x, y, w, h] of the pasted pixels in the target. */
  bbox: [number, number, number, number];
  area: number;
}

export interface Donor {
  image: RgbImage;
  instances: Uint16Array;
  instanceId: number;
}

export interface PasteOptions {
  /** Label ids the pasted object's footprint (its bottom row) must stand on. Default: the checks' groundLabelIds (road, sidewalk). */
  groundLabelIds?: readonly number[];
  /** Placement attempts before giving up. Default 200. */
  attempts?: number;
}

/** The donor object's box [x0, y0, x1, y1) and pixel count. */
function donorBox(d: Donor): { x0: number; y0: number; x1: number; y1: number; area: number } {
  const { width, height } = d.image;
  let x0 = width, y0 = height, x1 = 0, y1 = 0, area = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (d.instances[y * width + x] !== d.instanceId) continue;
    area++;
    if (x < x0) x0 = x;
    if (x >= x1) x1 = x + 1;
    if (y < y0) y0 = y;
    if (y >= y1) y1 = y + 1;
  }
  return { x0, y0, x1, y1, area };
}

/** Per-channel mean over a box ring of `r` pixels around [x0, x1) x [y0, y1), skipping masked pixels. */
function ringMean(img: RgbImage, x0: number, y0: number, x1: number, y1: number, r: number, skip: (i: number) => boolean): [number, number, number] {
  const { width, height, data } = img;
  const s = [0, 0, 0];
  let n = 0;
  for (let y = Math.max(0, y0 - r); y < Math.min(height, y1 + r); y++) for (let x = Math.max(0, x0 - r); x < Math.min(width, x1 + r); x++) {
    if (x >= x0 && x < x1 && y >= y0 && y < y1) continue;
    const i = y * width + x;
    if (skip(i)) continue;
    s[0] += data[i * 3]; s[1] += data[i * 3 + 1]; s[2] += data[i * 3 + 2];
    n++;
  }
  return n > 0 ? [s[0] / n, s[1] / n, s[2] / n] : [128, 128, 128];
}

/**
 * Pastes the donor object into `target` at a random free place on the ground (seeded), where its
 * whole box covers no labelled object. Returns null when no place was found.
 */
export function pasteObject(target: RgbImage, labels: LabelMaps, donor: Donor, seed: number, options: PasteOptions = {}): { image: RgbImage; truth: PasteTruth } | null {
  const ground = new Uint8Array(256);
  for (const id of options.groundLabelIds ?? DEFAULT_THRESHOLDS.groundLabelIds) ground[id] = 1;
  const b = donorBox(donor);
  if (b.area === 0) return null;
  const bw = b.x1 - b.x0, bh = b.y1 - b.y0;
  const { width, height } = target;
  if (bw >= width || bh >= height) return null;
  const rng = new Prng(seed);
  const attempts = options.attempts ?? 200;
  for (let a = 0; a < attempts; a++) {
    const tx = rng.int(0, width - bw), ty = rng.int(0, height - bh);
    if (!placeIsFree(labels, ground, tx, ty, bw, bh)) continue;
    const ring = Math.max(2, Math.round(0.2 * Math.min(bw, bh)));
    const donorBg = ringMean(donor.image, b.x0, b.y0, b.x1, b.y1, ring, (i) => donor.instances[i] === donor.instanceId);
    const targetBg = ringMean(target, tx, ty, tx + bw, ty + bh, ring, () => false);
    const gain = [0, 1, 2].map((c) => (targetBg[c] + 1) / (donorBg[c] + 1));
    const out = new Uint8Array(target.data);
    for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) {
      const si = (b.y0 + y) * donor.image.width + b.x0 + x;
      if (donor.instances[si] !== donor.instanceId) continue;
      const ti = (ty + y) * width + tx + x;
      for (let c = 0; c < 3; c++) {
        const v = donor.image.data[si * 3 + c] * gain[c];
        out[ti * 3 + c] = v >= 255 ? 255 : Math.round(v);
      }
    }
    return { image: { width, height, data: out }, truth: { kind: 'added', labelId: labelIdOf(donor.instanceId), bbox: [tx, ty, bw, bh], area: b.area } };
  }
  return null;
}

/** The box covers no object, and the middle of its bottom row stands on the ground classes. */
function placeIsFree(labels: LabelMaps, ground: Uint8Array, tx: number, ty: number, bw: number, bh: number): boolean {
  const { width } = labels;
  const foot = (ty + bh - 1) * width;
  for (let x = tx + (bw >> 2); x < tx + bw - (bw >> 2); x++) if (!ground[labels.semantic[foot + x]]) return false;
  for (let y = ty; y < ty + bh; y++) for (let x = tx; x < tx + bw; x++) if (isObjectId(labels.instances[y * width + x])) return false;
  return true;
}
