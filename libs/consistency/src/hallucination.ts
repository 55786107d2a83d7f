// Hallucination check: new structure in the output that the source lacks, in stuff regions (road,
// sidewalk, building, vegetation, terrain, sky) and inside object masks too (an added object partly
// covering a labelled car brings edges that car's source lacks). Two cues, each with its threshold:
//
// - structure: both log-luminance planes are band-passed (minus their box mean of radius
//   hallucinationBandRadius), so that illumination (a darkening, lamp pools, glows: smooth in the log
//   domain) drops out and edges and texture stay. Per window, the output energy the source does not
//   explain (the residual of regressing output on source, var y - cov^2 / var x) is divided by the
//   residual expected from noise at that output brightness and by the source's own texture there
//   ("novelty"). Connected regions of novelty above noveltyPixelThreshold (parts one pixel apart are one
//   region) are scored by their evidence, the sum of log(novelty / noveltyPixelThreshold) over their
//   pixels at full resolution (a region needs both area and contrast), discounted when the region is
//   thinner than hallucinationMinSide. Score, size and box are continuous in the evidence, which vanishes
//   at the pixel threshold: one grey level of difference between two engines' translations moves them a
//   little instead of flipping a region in or out.
// - light: stray emitters standing on the ground (stray-lights.ts).
//
// Night lights are not new structure: pixels brighter than the global day-to-night tone curve predicts
// and bright in absolute terms (lamps, lit windows, head and tail lights) and a halo around them (glow)
// are excluded, and so is every window within lightMargin of the halo (the steep falloff of a glow is
// not removed by the band-pass; the margin should be at least windowRadius so that no window looked at
// holds a light pixel). The pools of light on bare road and sidewalk are not excluded: an object standing
// in one must still show. Stray lights are the exception: lights on the ground are evidence (stray-lights.ts).
import type { Analysis } from './analysis.ts';
import { connectedComponents, dominantLabel, momentBox } from './components.ts';
import { isObjectId } from './instances.ts';
import type { ConsistencyThresholds } from './thresholds.ts';
import { boxMean } from './box-filter.ts';
import { localStats } from './local-stats.ts';
import { fillGaps } from './lights.ts';
import { sampledQuantile } from './sampled-quantile.ts';
import type { Scratch } from './scratch.ts';

export interface RegionScore {
  /** What gave the region away: new structure, a light standing on the ground, or a thing class the segmenter finds only at night (semantic/cue.ts). */
  cue: 'structure' | 'light' | 'semantic';
  /** Box [x, y, w, h] at full resolution. */
  bbox: [number, number, number, number];
  /** Pixels at full resolution. */
  area: number;
  /** Label id most of the region lies on. */
  labelId: number;
  /** Structure: novelty evidence (see above). Light: emitter pixels at full resolution. Semantic: probability-gain evidence (semantic/cue.ts). */
  score: number;
  /** Semantic: the label id of the thing class the segmenter finds there at night. */
  predictedLabelId?: number;
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
  // Samples grouped by bin (counting sort into one typed array), each bin sorted for its median.
  const counts = new Int32Array(NOISE_BINS + 1);
  for (let i = 0; i < level.length; i += step) if (valid[i]) counts[(((level[i] - lo) * scale) | 0) + 1]++;
  for (let b = 0; b < NOISE_BINS; b++) counts[b + 1] += counts[b];
  const samples = new Float32Array(counts[NOISE_BINS]), fill = counts.slice(0, NOISE_BINS);
  for (let i = 0; i < level.length; i += step) if (valid[i]) samples[fill[((level[i] - lo) * scale) | 0]++] = residual[i];
  for (let b = 0; b < NOISE_BINS; b++) {
    if (counts[b + 1] - counts[b] < 30) continue;
    const v = samples.subarray(counts[b], counts[b + 1]).sort();
    noise[b] = Math.max(1e-5, v[v.length >> 1]);
  }
  fillGaps(noise);
  for (let b = 0; b < NOISE_BINS; b++) if (Number.isNaN(noise[b])) noise[b] = 1e-4;
  return { lo, scale, noise };
}

/** The plane minus its box mean of radius r. */
function bandPass(v: Float32Array, width: number, height: number, r: number, tmp: Float32Array, out: Float32Array): Float32Array {
  boxMean(v, width, height, r, out, tmp);
  for (let i = 0; i < v.length; i++) out[i] = v[i] - out[i];
  return out;
}

/** Novelty per analysis pixel (0 where not looked at: outside stuff or objects, at or near lights). */
export function noveltyMap(a: Analysis, t: ConsistencyThresholds, scratch: Scratch): Float32Array {
  const { width, height } = a;
  const { semantic, instances } = a.labels;
  const n = width * height;
  const tmp = scratch.f32Raw(n);
  const stuff = new Uint8Array(256);
  for (const id of t.stuffLabelIds) stuff[id] = 1;
  const near = scratch.f32Raw(n);
  // Lights on the bare ground (road, sidewalk) are the pools lamps and head lights throw, not emitters:
  // they stay in (an object standing in a pool must still show), the band-pass removes their smooth
  // shading. Saturated emitters on the ground are the stray-light cue's evidence.
  const ground = new Uint8Array(256);
  for (const id of t.groundLabelIds) ground[id] = 1;
  const emitter = scratch.f32Raw(n);
  for (let i = 0; i < n; i++) emitter[i] = a.shining[i] && (isObjectId(instances[i]) || !ground[semantic[i]]) ? 1 : 0;
  boxMean(emitter, width, height, t.lightHalo + t.lightMargin, near, tmp);
  const fx = bandPass(a.x.data, width, height, t.hallucinationBandRadius, tmp, scratch.f32Raw(n));
  const fy = bandPass(a.y.data, width, height, t.hallucinationBandRadius, tmp, scratch.f32Raw(n));
  // Unweighted windows: no window looked at reaches a light (lightMargin >= windowRadius).
  const { vx, vy, cxy } = localStats({ width, height, data: fx }, { width, height, data: fy }, t.windowRadius, scratch);
  const nov = scratch.f32(n);
  const valid = scratch.u8(n);
  const inObjects = t.hallucinationInObjects > 0;
  for (let i = 0; i < n; i++) {
    if (!(isObjectId(instances[i]) ? inObjects : stuff[semantic[i]]) || near[i] > 0) continue;
    valid[i] = 1;
    const r = vy[i] - (cxy[i] * cxy[i]) / (vx[i] + 1e-6);
    nov[i] = r > 0 ? r : 0;
  }
  const nl = noiseByLevel(a.y.data, nov, valid);
  const top = NOISE_BINS - 1;
  // Texture allowance: a textured source (foliage, facades) changes more under translation than a plain one.
  const k = t.textureAllowance / (sampledQuantile(vx, 0.5, valid) + 1e-9);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const b = ((a.y.data[i] - nl.lo) * nl.scale) | 0;
    const noise = nl.noise[b < 0 ? 0 : b > top ? top : b];
    nov[i] /= noise * (1 + k * vx[i]);
  }
  return nov;
}

export function scoreRegions(a: Analysis, t: ConsistencyThresholds, scratch: Scratch): RegionScore[] {
  const { width, height, factor } = a;
  const nov = noveltyMap(a, t, scratch);
  const n = nov.length;
  const above = scratch.f32Raw(n), evidence = scratch.f32Raw(n);
  const f2 = factor * factor;
  for (let i = 0; i < n; i++) {
    const v = nov[i];
    const on = v > t.noveltyPixelThreshold;
    above[i] = on ? 1 : 0;
    evidence[i] = on ? f2 * Math.log(v / t.noveltyPixelThreshold) : 0;
  }
  // Components of the pixels above the threshold dilated by one pixel: a pixel at the threshold that bridges
  // two parts cannot split a region when it flips (the parts still touch after dilation); dilated pixels
  // carry no evidence.
  const near = scratch.f32Raw(n), mask = scratch.u8Raw(n);
  boxMean(above, width, height, 1, near, scratch.f32Raw(n));
  for (let i = 0; i < n; i++) mask[i] = near[i] > 1e-4 ? 1 : 0;
  const labels = scratch.i32Raw(n);
  const comps = connectedComponents(mask, width, height, evidence, labels, scratch);
  const minArea = t.hallucinationMinArea / f2, minSide = t.hallucinationMinSide / factor;
  const out: RegionScore[] = [];
  for (let k = 0; k < comps.length; k++) {
    const c = comps[k];
    if (c.support < minArea) continue;
    // Size and box from the evidence moments (see components.ts): pixels at the novelty threshold carry
    // no evidence, so neither moves when a grey level of noise flips them. A region narrower or lower
    // than hallucinationMinSide is discounted by (side / minSide)^hallucinationSidePower per axis
    // instead of dropped, so that the flag decision stays a comparison of one continuous score with its
    // threshold.
    const b = momentBox(c, width, height);
    const gx = Math.min(1, b.sideX / minSide) ** t.hallucinationSidePower, gy = Math.min(1, b.sideY / minSide) ** t.hallucinationSidePower;
    out.push({
      cue: 'structure',
      bbox: [b.x0 * factor, b.y0 * factor, (b.x1 - b.x0) * factor, (b.y1 - b.y0) * factor],
      area: c.support * f2,
      labelId: dominantLabel(a.labels.semantic, labels, k + 1, c, width, evidence),
      score: c.sum * gx * gy,
    });
  }
  return out;
}

