// Hallucination check: new structure in the output that the source lacks, in stuff regions (road,
// sidewalk, building, vegetation, terrain, sky) and inside object masks too (an added object partly
// covering a labelled car brings edges that car's source lacks). Two cues, each with its threshold:
//
// - structure: both log-luminance planes are band-passed (minus their box mean of radius
//   hallucinationBandRadius), so that illumination (a darkening, lamp pools, glows: smooth in the log
//   domain) drops out and edges and texture stay. Per window, the output energy the source does not
//   explain (the residual of regressing output on source, var y - cov^2 / var x) is divided by the
//   residual expected from noise at that output brightness and by the source's own texture there
//   ("novelty"). Connected regions of novelty above noveltyPixelThreshold are scored by their evidence,
//   the sum of log(novelty / noveltyPixelThreshold) over their pixels at full resolution: a region needs
//   both area and contrast.
// - light: stray emitters standing on the ground (stray-lights.ts).
//
// Night lights are not new structure: pixels brighter than the global day-to-night tone curve predicts
// and bright in absolute terms (lamps, lit windows, head and tail lights) and a halo around them (glow)
// are excluded, and so is every window within lightMargin of the halo (the steep falloff of a glow is
// not removed by the band-pass; the margin should be at least windowRadius so that no window looked at
// holds a light pixel). Stray lights are the exception: lights on the ground are evidence (stray-lights.ts).
import type { Analysis } from './analysis.ts';
import { connectedComponents } from './components.ts';
import { isObjectId } from './instances.ts';
import type { ConsistencyThresholds } from './thresholds.ts';
import { boxMean } from './box-filter.ts';
import { localStats } from './local-stats.ts';

export interface RegionScore {
  /** What gave the region away: new structure, or a light standing on the ground. */
  cue: 'structure' | 'light';
  /** Box [x, y, w, h] at full resolution. */
  bbox: [number, number, number, number];
  /** Pixels at full resolution. */
  area: number;
  /** Label id most of the region lies on. */
  labelId: number;
  /** Structure: novelty evidence (see above). Light: emitter pixels at full resolution. */
  score: number;
}

const NOISE_BINS = 24;

/**
 * Expected residual energy from noise alone, per level of output log-luminance: in the log domain
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

/** The plane minus its box mean of radius r. */
function bandPass(v: Float32Array, width: number, height: number, r: number, tmp: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  boxMean(v, width, height, r, out, tmp);
  for (let i = 0; i < v.length; i++) out[i] = v[i] - out[i];
  return out;
}

/** Novelty per analysis pixel (0 where not looked at: outside stuff or objects, at or near lights). */
export function noveltyMap(a: Analysis, t: ConsistencyThresholds): Float32Array {
  const { width, height } = a;
  const { semantic, instances } = a.labels;
  const n = width * height;
  const tmp = new Float32Array(n);
  const stuff = new Uint8Array(256);
  for (const id of t.stuffLabelIds) stuff[id] = 1;
  const near = new Float32Array(n);
  boxMean(Float32Array.from(a.shining), width, height, t.lightHalo + t.lightMargin, near, tmp);
  const fx = bandPass(a.x.data, width, height, t.hallucinationBandRadius, tmp);
  const fy = bandPass(a.y.data, width, height, t.hallucinationBandRadius, tmp);
  // Unweighted windows: no window looked at reaches a light (lightMargin >= windowRadius).
  const { vx, vy, cxy } = localStats({ width, height, data: fx }, { width, height, data: fy }, t.windowRadius);
  const nov = new Float32Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const inObject = isObjectId(instances[i]);
    if (!(inObject ? t.hallucinationInObjects > 0 : stuff[semantic[i]]) || near[i] > 0) continue;
    valid[i] = 1;
    const r = vy[i] - (cxy[i] * cxy[i]) / (vx[i] + 1e-6);
    nov[i] = r > 0 ? r : 0;
  }
  const nl = noiseByLevel(a.y.data, nov, valid);
  const top = NOISE_BINS - 1;
  // Texture allowance: a textured source (foliage, facades) changes more under translation than a plain one.
  const k = t.textureAllowance / (medianOf(vx, valid) + 1e-9);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const b = ((a.y.data[i] - nl.lo) * nl.scale) | 0;
    const noise = nl.noise[b < 0 ? 0 : b > top ? top : b];
    nov[i] /= noise * (1 + k * vx[i]);
  }
  return nov;
}

function medianOf(v: Float32Array, valid: Uint8Array): number {
  const s: number[] = [];
  const step = Math.max(1, Math.floor(v.length / 20000));
  for (let i = 0; i < v.length; i += step) if (valid[i]) s.push(v[i]);
  s.sort((p, q) => p - q);
  return s[s.length >> 1] ?? 0;
}

export function scoreRegions(a: Analysis, t: ConsistencyThresholds): RegionScore[] {
  const { width, height, factor } = a;
  const nov = noveltyMap(a, t);
  const n = nov.length;
  const mask = new Uint8Array(n), evidence = new Float32Array(n);
  const f2 = factor * factor;
  for (let i = 0; i < n; i++) {
    if (nov[i] <= t.noveltyPixelThreshold) continue;
    mask[i] = 1;
    evidence[i] = f2 * Math.log(nov[i] / t.noveltyPixelThreshold);
  }
  const labels = new Int32Array(n);
  const comps = connectedComponents(mask, width, height, evidence, labels);
  const minArea = t.hallucinationMinArea / f2, minSide = t.hallucinationMinSide / factor;
  const out: RegionScore[] = [];
  for (let k = 0; k < comps.length; k++) {
    const c = comps[k];
    if (c.area < minArea || c.x1 - c.x0 < minSide || c.y1 - c.y0 < minSide) continue;
    out.push({
      cue: 'structure',
      bbox: [c.x0 * factor, c.y0 * factor, (c.x1 - c.x0) * factor, (c.y1 - c.y0) * factor],
      area: c.area * f2,
      labelId: dominantLabel(a, labels, k + 1, c),
      score: c.sum,
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
