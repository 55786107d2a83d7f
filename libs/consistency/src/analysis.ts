// Shared preparation of one (source, output) pair on the analysis grid: log-luminance planes, the
// night-light mask and the light-excluded window statistics both checks read.
import { LOG_KNEE, analysisFactor, logLuminance, sampleLabels, type LabelMaps, type Plane, type RgbImage } from './image.ts';
import { smooth, weightedLocalStats, type LocalStats } from './local-stats.ts';
import { fitToneCurve } from './lights.ts';
import { boxMean } from './box-filter.ts';
import { isObjectId } from './instances.ts';
import { sampledQuantile } from './sampled-quantile.ts';
import type { ConsistencyThresholds } from './thresholds.ts';
import type { Scratch } from './scratch.ts';

export interface Analysis {
  /** Full-resolution pixels per analysis pixel along each axis. */
  factor: number;
  width: number;
  height: number;
  x: Plane;
  y: Plane;
  labels: LabelMaps;
  /** 1 where a pixel is a night light or its halo (excluded from the erasure check). */
  light: Uint8Array;
  /** 1 where a pixel is a night light that also shines in absolute terms (lightMinLuminance); no halo. */
  shining: Uint8Array;
  /** Output log-luminance predicted from the source by the global tone curve. */
  pred: Float32Array;
  /** The tone curve's slope at a source log-luminance (see fitToneCurve). */
  toneSlope: (sourceLogLuminance: number) => number;
  stats: LocalStats & { wsum: Float32Array };
}

/** Every plane of the analysis is borrowed from `scratch`: it is valid until the scratch is released. */
export function analyse(source: RgbImage, output: RgbImage, labels: LabelMaps, t: ConsistencyThresholds, scratch: Scratch): Analysis {
  const factor = analysisFactor(source.width, t.analysisMaxWidth);
  const x = smooth(logLuminance(source, factor, scratch), t.preSmoothRadius, scratch);
  const y = smooth(logLuminance(output, factor, scratch), t.preSmoothRadius, scratch);
  const { width, height } = x;
  const n = width * height;
  const { pred, slopeAt: toneSlope } = fitToneCurve(x, y, scratch);
  // A light is both brighter than the tone curve predicts and among the brightest pixels of the output:
  // a dark object replaced by lit road is brighter than predicted too, but it is not a light.
  const floor = sampledQuantile(y.data, t.lightQuantile);
  // For the hallucination check lights must also shine in absolute terms: a day object pasted into a dark
  // scene at the scene's brightness is brighter than the tone curve predicts, but it is not a light.
  const shine = Math.log1p(t.lightMinLuminance / LOG_KNEE);
  const core = scratch.f32(n), shining = scratch.u8(n);
  for (let i = 0; i < n; i++) {
    if (!(y.data[i] - pred[i] > t.lightExcess && y.data[i] >= floor)) continue;
    core[i] = 1;
    shining[i] = y.data[i] >= shine ? 1 : 0;
  }
  const halo = scratch.f32Raw(n);
  boxMean(core, width, height, t.lightHalo, halo, scratch.f32Raw(n));
  const light = scratch.u8Raw(n), weight = scratch.f32Raw(n);
  for (let i = 0; i < n; i++) {
    const l = halo[i] > 0 ? 1 : 0;
    light[i] = l;
    weight[i] = 1 - l;
  }
  const grid = sampleLabels(labels, factor, scratch);
  const stats = objectBandStats(x.data, y.data, weight, width, height, grid.instances, t.windowRadius, t.highPassRadius, scratch);
  return { factor, width, height, x, y, labels: grid, light, shining, pred, toneSlope, stats };
}

/**
 * The erasure statistics are read only at object pixels: they are computed on the band of rows that
 * holds objects (plus the window radius, so that every window centred on an object row is the same as
 * on the whole image) and are 0 elsewhere. The high-pass runs on that band plus its own radius, for the
 * same reason.
 */
function objectBandStats(
  x: Float32Array, y: Float32Array, w: Float32Array, width: number, height: number, instances: Uint16Array, r: number, highPassRadius: number, scratch: Scratch,
): LocalStats & { wsum: Float32Array } {
  let first = height, last = -1;
  for (let yy = 0; yy < height; yy++) {
    for (let i = yy * width, e = i + width; i < e; i++) {
      if (!isObjectId(instances[i])) continue;
      if (yy < first) first = yy;
      last = yy;
      break;
    }
  }
  const n = width * height;
  const full = { width, height, vx: scratch.f32(n), vy: scratch.f32(n), cxy: scratch.f32(n), wsum: scratch.f32(n) };
  if (last < 0) return full;
  const hr = Math.max(0, highPassRadius);
  const p0 = Math.max(0, first - r - hr), p1 = Math.min(height, last + r + hr + 1);
  const rows = (v: Float32Array): Float32Array => v.subarray(p0 * width, p1 * width);
  const [hx, hy] = highPass([rows(x), rows(y)], rows(w), width, p1 - p0, hr, scratch);
  const y0 = Math.max(0, first - r), y1 = Math.min(height, last + r + 1);
  const band = (v: Float32Array): Float32Array => v.subarray((y0 - p0) * width, (y1 - p0) * width);
  const plane = (v: Float32Array): Plane => ({ width, height: y1 - y0, data: band(v) });
  const s = weightedLocalStats(plane(hx), plane(hy), band(rows(w)), r, scratch);
  full.vx.set(s.vx, y0 * width);
  full.vy.set(s.vy, y0 * width);
  full.cxy.set(s.cxy, y0 * width);
  full.wsum.set(s.wsum, y0 * width);
  return full;
}

/**
 * Each plane minus its box mean of radius r: linear ramps (lamp pools, glows, the smooth fill of an
 * inpainted hole) vanish, edges and texture stay. The box mean skips light pixels (normalised
 * convolution, the weight sums shared by the planes), or a lamp would ring into its surroundings.
 */
function highPass(planes: Float32Array[], w: Float32Array, width: number, height: number, r: number, scratch: Scratch): Float32Array[] {
  if (r <= 0) return planes;
  const n = w.length;
  const ws = scratch.f32Raw(n), tmp = scratch.f32Raw(n), prod = scratch.f32Raw(n);
  boxMean(w, width, height, r, ws, tmp);
  return planes.map((v) => {
    const out = scratch.f32Raw(n);
    for (let i = 0; i < n; i++) prod[i] = v[i] * w[i];
    boxMean(prod, width, height, r, out, tmp);
    for (let i = 0; i < n; i++) out[i] = ws[i] > 1e-3 ? v[i] - out[i] / ws[i] : 0;
    return out;
  });
}
