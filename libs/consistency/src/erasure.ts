// Erasure check: does the output still show each labelled object? Per object, the weighted mean of
// SSIM's structure term s = cov(x, y) / sqrt(var x var y + C) over the windows centred in its mask,
// on log-luminance (a darkening, gamma or colour cast changes only the mean and scale of a window, not
// s), with night lights excluded from the windows. Windows count by how much structure the source has
// there (var x / (var x + floor)): an object that lost its edges and texture scores near 0. They count
// also by how much of it the night's global tone curve alone would leave visible (erasureVisibilityFloor):
// a black car that any darkening crushes into the noise is invisible, not erased.
// Retention is the magnitude of that mean: a night render can invert an object's contrast (a bus's
// windows dark by day and lit at night, head-lights on a dark grille), which keeps the object, with a
// negative mean, while an erased object's leftover correlations average out near 0.
import type { Analysis } from './analysis.ts';
import { listInstances } from './instances.ts';
import type { ConsistencyThresholds } from './thresholds.ts';

export interface ObjectScore {
  instanceId: number;
  labelId: number;
  /** Box [x, y, w, h] at full resolution. */
  bbox: [number, number, number, number];
  /** Pixels at full resolution (analysis pixels times factor^2). */
  area: number;
  /** Structure retention in [0, 1]: |weighted mean structure term|; high = still there. */
  retention: number;
  /** Share of the mask's windows that could be compared (not covered by lights). */
  coverage: number;
  /**
   * Whether the source shows enough structure here to tell (total structure weight at least
   * MIN_STRUCTURE_SHARE of the mask); a featureless object can be neither kept nor lost visibly.
   */
  comparable: boolean;
}

// Regulariser of the structure term, in squared log-luminance: the order of the noise variance left
// after pre-smoothing, so that windows of pure noise drift to 0 instead of +-1.
const STRUCTURE_C = 1e-3;
const MIN_STRUCTURE_SHARE = 0.05;

export function scoreObjects(a: Analysis, t: ConsistencyThresholds): ObjectScore[] {
  const { width, factor, labels, stats, toneSlope, x } = a;
  const vf = t.erasureVisibilityFloor;
  const { vx, vy, cxy, wsum } = stats;
  const f2 = factor * factor;
  const out: ObjectScore[] = [];
  const objects = listInstances(labels.instances, width);
  const index = new Map<number, number>();
  objects.forEach((o, k) => index.set(o.instanceId, k));
  const num = new Float64Array(objects.length), den = new Float64Array(objects.length), cov = new Float64Array(objects.length);
  const inst = labels.instances;
  let prevId = -1, k = -1;
  for (let i = 0; i < inst.length; i++) {
    const id = inst[i];
    if (id !== prevId) { prevId = id; k = index.get(id) ?? -1; }
    if (k < 0) continue;
    const w = wsum[i];
    cov[k] += w;
    if (w < 1e-6) continue;
    const sx = vx[i];
    let weight = (w * sx) / (sx + t.sourceStructureFloor);
    if (vf > 0) { const g = toneSlope(x.data[i]); const ve = g * g * sx; weight *= ve / (ve + vf); }
    num[k] += weight * (cxy[i] / Math.sqrt(sx * vy[i] + STRUCTURE_C));
    den[k] += weight;
  }
  for (let j = 0; j < objects.length; j++) {
    const o = objects[j];
    out.push({
      instanceId: o.instanceId,
      labelId: o.labelId,
      bbox: [o.x0 * factor, o.y0 * factor, (o.x1 - o.x0) * factor, (o.y1 - o.y0) * factor],
      area: o.area * f2,
      retention: den[j] > 1e-9 ? Math.abs(num[j] / den[j]) : 0,
      coverage: cov[j] / o.area,
      comparable: den[j] >= MIN_STRUCTURE_SHARE * o.area,
    });
  }
  return out;
}
