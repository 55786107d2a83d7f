// Hallucination check: new structure in the output that the source lacks, in stuff regions (road,
// sidewalk, building, vegetation, terrain, sky) and inside object masks too (an added object partly
// covering a labelled car brings edges that car's source lacks). Per window of the high-passed planes
// (analysis.ts), the output variance the source does not explain (the residual of regressing output on
// source, var y - cov^2 / var x) is divided by the residual expected from noise at that brightness:
// "novelty". Connected regions of high novelty are scored by their novelty mass.
//
// Night lights are not new objects: pixels brighter than the global day-to-night tone curve predicts
// (lamps, lit windows, head and tail lights) and a halo around them (glow) are excluded before the
// statistics are taken, and the high-pass removes the smooth ramps of light pools and glows.
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

const NOISE_BINS = 24;

/**
 * Expected residual variance from noise alone, per level of output log-luminance: in the log domain
 * sensor noise is much stronger in dark pixels than in bright ones. Per bin, the median residual of the
 * valid pixels (most windows hold no new structure); bins with few pixels take their neighbour's value.
 */
function noiseByLevel(level: Float32Array, residual: Float32Array, valid: Uint8Array): { lo: number; scale: number; noise: Float32Array } {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < level.length; i++) if (valid[i]) { const v = level[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  const noise = new Float32Array(NOISE_BINS).fill(NaN);
  if (!(hi > lo)) return { lo: 0, scale: 0, noise: noise.fill(1e-4) };
  const scale = (NOISE_BINS - 1e-3) / (hi - lo);
  const step = Math.max(1, Math.floor(level.length / 40000));
  const samples: number[][] = Array.from({ length: NOISE_BINS }, () => []);
  for (let i = 0; i < level.length; i += step) if (valid[i]) samples[((level[i] - lo) * scale) | 0].push(residual[i]);
  for (let b = 0; b < NOISE_BINS; b++) {
    const v = samples[b];
    if (v.length < 30) continue;
    v.sort((p, q) => p - q);
    noise[b] = Math.max(1e-5, v[v.length >> 1]);
  }
  let last = NaN;
  for (let b = 0; b < NOISE_BINS; b++) if (Number.isNaN(noise[b])) noise[b] = last; else last = noise[b];
  last = NaN;
  for (let b = NOISE_BINS - 1; b >= 0; b--) if (Number.isNaN(noise[b])) noise[b] = last; else last = noise[b];
  for (let b = 0; b < NOISE_BINS; b++) if (Number.isNaN(noise[b])) noise[b] = 1e-4;
  return { lo, scale, noise };
}

/** Novelty per analysis pixel (0 outside stuff, on objects and on lights). */
export function noveltyMap(a: Analysis, t: ConsistencyThresholds): Float32Array {
  const { vx, vy, cxy, wsum } = a.stats;
  const { semantic, instances } = a.labels;
  const stuff = new Uint8Array(256);
  for (const id of t.stuffLabelIds) stuff[id] = 1;
  const n = vx.length;
  const nov = new Float32Array(n);
  const dev = new Float32Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const inObject = isObjectId(instances[i]);
    if (!(inObject ? t.hallucinationInObjects > 0 : stuff[semantic[i]]) || a.light[i] || wsum[i] < 0.5) continue;
    valid[i] = 1;
    const r = vy[i] - (cxy[i] * cxy[i]) / (vx[i] + t.sourceStructureFloor * 0.01);
    nov[i] = r > 0 ? r : 0;
    dev[i] = a.y.data[i] - a.pred[i];
  }
  const nl = noiseByLevel(a.y.data, nov, valid);
  const top = NOISE_BINS - 1;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) { nov[i] = 0; continue; }
    const b = ((a.y.data[i] - nl.lo) * nl.scale) | 0;
    nov[i] /= nl.noise[b < 0 ? 0 : b > top ? top : b];
  }
  if (t.toneDeviationWeight > 0) addToneDeviation(a, t, nov, dev, valid);
  return nov;
}

/**
 * Tone deviation: the departure of the output from the global tone curve minus its smooth trend (lamp
 * pools and glows are smooth), squared and box-averaged, over its image median. An object pasted with
 * matched mean brightness still does not follow the tone mapping of the surface it covers.
 */
function addToneDeviation(a: Analysis, t: ConsistencyThresholds, nov: Float32Array, dev: Float32Array, valid: Uint8Array): void {
  const n = nov.length;
  const tmp = new Float32Array(n), trend = new Float32Array(n), sm = new Float32Array(n);
  boxMean(dev, a.width, a.height, 4 * t.windowRadius, trend, tmp);
  for (let i = 0; i < n; i++) { const d = valid[i] ? dev[i] - trend[i] : 0; dev[i] = d * d; }
  boxMean(dev, a.width, a.height, t.windowRadius, sm, tmp);
  const sample: number[] = [];
  for (let i = 0; i < n; i += 7) if (valid[i]) sample.push(sm[i]);
  sample.sort((p, q) => p - q);
  const level = Math.max(1e-5, sample[Math.floor(sample.length / 2)] ?? 1e-4);
  const w = t.toneDeviationWeight / level;
  for (let i = 0; i < n; i++) if (valid[i]) nov[i] += sm[i] * w;
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
