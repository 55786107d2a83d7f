// Hallucination check: new structure in the output that the source lacks, inside stuff regions (road,
// sidewalk, building, vegetation, terrain, sky) and outside every object mask. Per window, the output
// variance the source does not explain (the residual of regressing output on source,
// var y - cov^2 / var x) is divided by the image's own noise variance: "novelty". Connected regions of
// high novelty are scored by their novelty mass. Added to the structural novelty is the tone deviation:
// the box-averaged squared departure of the output from the global source-to-output tone curve, over its
// image median (an object pasted on the road does not follow the road's tone mapping).
//
// Night lights are not new objects: pixels brighter than the global day-to-night tone curve predicts
// (lamps, lit windows, head and tail lights) and a halo around them (glow) are excluded before the
// statistics are taken (analysis.ts), so neither their sharp edges nor their glow count as structure. A
// smooth glow or light pool that the halo misses adds little: it is a slow ramp, with small window
// variance after the log.
import type { Analysis } from './analysis.ts';
import { connectedComponents } from './components.ts';
import { isObjectId } from './instances.ts';
import type { ConsistencyThresholds } from './thresholds.ts';
import { boxMean } from './box-filter.ts';

export interface RegionScore {
  /** Box [x, y, w, h] at full resolution. */
  bbox: [number, number, number, number];
  /** Pixels at full resolution. */
  area: number;
  /** Label id most of the region lies on. */
  labelId: number;
  /** Novelty mass: summed novelty over (minimum region area x per-pixel threshold). */
  score: number;
}

/** Robust noise variance of the output: the median window variance where the source is flat. */
function noiseVariance(a: Analysis): number {
  const { vx, vy, wsum } = a.stats;
  const n = vx.length;
  const step = Math.max(1, Math.floor(n / 20000));
  const sx: number[] = [];
  for (let i = 0; i < n; i += step) if (wsum[i] > 0.99) sx.push(vx[i]);
  if (sx.length === 0) return 1e-4;
  sx.sort((p, q) => p - q);
  const flat = sx[Math.floor(sx.length * 0.25)];
  const sy: number[] = [];
  for (let i = 0; i < n; i += step) if (wsum[i] > 0.99 && vx[i] <= flat) sy.push(vy[i]);
  sy.sort((p, q) => p - q);
  return Math.max(1e-5, sy[Math.floor(sy.length / 2)] ?? 1e-4);
}

/** Novelty per analysis pixel (0 outside stuff, on objects and on lights). */
export function noveltyMap(a: Analysis, t: ConsistencyThresholds): Float32Array {
  const { vx, vy, cxy, wsum } = a.stats;
  const { semantic, instances } = a.labels;
  const stuff = new Uint8Array(256);
  for (const id of t.stuffLabelIds) stuff[id] = 1;
  const inv = 1 / noiseVariance(a);
  const n = vx.length;
  const nov = new Float32Array(n);
  const dev = new Float32Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!stuff[semantic[i]] || a.light[i] || wsum[i] < 0.5 || isObjectId(instances[i])) continue;
    valid[i] = 1;
    const r = vy[i] - (cxy[i] * cxy[i]) / (vx[i] + t.sourceStructureFloor * 0.01);
    nov[i] = r > 0 ? r * inv : 0;
    dev[i] = a.y.data[i] - a.pred[i];
  }
  // Tone deviation: departure from the global tone curve minus its smooth trend (so that pools of lamp
  // light and glow, which are smooth, drop out), squared and box-averaged, over its robust level.
  const tmp = new Float32Array(n), trend = new Float32Array(n), sm = new Float32Array(n);
  boxMean(dev, a.width, a.height, 4 * t.windowRadius, trend, tmp);
  for (let i = 0; i < n; i++) { const d = valid[i] ? dev[i] - trend[i] : 0; dev[i] = d * d; }
  boxMean(dev, a.width, a.height, t.windowRadius, sm, tmp);
  const sample: number[] = [];
  for (let i = 0; i < n; i += 7) if (valid[i]) sample.push(sm[i]);
  sample.sort((p, q) => p - q);
  const level = Math.max(1e-5, sample[Math.floor(sample.length / 2)] ?? 1e-4);
  for (let i = 0; i < n; i++) nov[i] = valid[i] ? nov[i] + sm[i] / level : 0;
  return nov;
}

export function scoreRegions(a: Analysis, t: ConsistencyThresholds): RegionScore[] {
  const { width, height, factor } = a;
  const nov = noveltyMap(a, t);
  const mask = new Uint8Array(nov.length);
  for (let i = 0; i < nov.length; i++) mask[i] = nov[i] > t.noveltyPixelThreshold ? 1 : 0;
  const labels = new Int32Array(nov.length);
  const comps = connectedComponents(mask, width, height, nov, labels);
  const f2 = factor * factor;
  const minArea = t.hallucinationMinArea / f2;
  const out: RegionScore[] = [];
  for (let k = 0; k < comps.length; k++) {
    const c = comps[k];
    if (c.area < minArea) continue;
    out.push({
      bbox: [c.x0 * factor, c.y0 * factor, (c.x1 - c.x0) * factor, (c.y1 - c.y0) * factor],
      area: c.area * f2,
      labelId: dominantLabel(a, labels, k + 1, c),
      score: c.sum / (minArea * t.noveltyPixelThreshold),
    });
  }
  return out;
}

function dominantLabel(a: Analysis, labels: Int32Array, label: number, c: { x0: number; y0: number; x1: number; y1: number }): number {
  const counts = new Uint32Array(256);
  const { width } = a;
  for (let y = c.y0; y < c.y1; y++) for (let x = c.x0; x < c.x1; x++) {
    const i = y * width + x;
    if (labels[i] === label) counts[a.labels.semantic[i]]++;
  }
  let best = 0;
  for (let id = 1; id < 256; id++) if (counts[id] > counts[best]) best = id;
  return best;
}
