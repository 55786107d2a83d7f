// Night light sources (lamps, lit windows, head and tail lights, their glow and the pools they throw):
// pixels far brighter in the output than the source's own brightness predicts under the global
// day-to-night tone mapping. They are excluded from both checks. The same tone curve's slope tells the
// erasure check how much of an object's contrast a darkening alone leaves visible.
import type { Plane } from './image.ts';
import type { Scratch } from './scratch.ts';

const BINS = 64;

export interface ToneCurve {
  /** Output log-luminance predicted from the source by the curve, per pixel. */
  pred: Float32Array;
  /**
   * |d output / d source| of the curve at a source log-luminance: how much of the source's local
   * contrast a global tone mapping alone carries into the output (near 0 where it crushes a range to one level).
   */
  slopeAt: (sourceLogLuminance: number) => number;
}

// Half-width, in bins, of the central difference the curve's slope is taken over (the per-bin medians come
// from histograms of 1/32-log-unit steps: even interpolated, neighbouring bins alone give a noisy slope).
const SLOPE_SPAN = 3;

/**
 * Global monotone-free tone curve: the median output log-luminance per bin of source log-luminance,
 * filled across empty bins, and its slope.
 */
export function fitToneCurve(x: Plane, y: Plane, scratch: Scratch): ToneCurve {
  const X = x.data, Y = y.data, n = X.length;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) { const v = X[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  const scale = hi > lo ? (BINS - 1e-3) / (hi - lo) : 0;
  // Median per bin from a 256-step histogram of y per bin.
  const yLo = 0, yStep = 8 / 256; // log1p(l/6) with l <= 255 is < 3.8
  const hist = new Uint32Array(BINS * 256), count = new Uint32Array(BINS);
  for (let i = 0; i < n; i++) {
    const b = ((X[i] - lo) * scale) | 0;
    let q = ((Y[i] - yLo) / yStep) | 0;
    q = q < 0 ? 0 : q > 255 ? 255 : q;
    hist[b * 256 + q]++;
    count[b]++;
  }
  // The prediction uses the step's centre; the slope an interpolated median (continuous in the data, so that
  // a grey level of engine noise cannot move it by a whole step).
  const curve = new Float32Array(BINS).fill(NaN), smooth = new Float32Array(BINS).fill(NaN);
  for (let b = 0; b < BINS; b++) {
    if (count[b] < 20) continue;
    const half = count[b] / 2;
    let acc = 0, q = 0;
    for (; q < 256; q++) { const h = hist[b * 256 + q]; if (acc + h >= half) { smooth[b] = yLo + (q + (half - acc) / h) * yStep; break; } acc += h; }
    curve[b] = yLo + (q + 0.5) * yStep;
  }
  fillGaps(curve);
  fillGaps(smooth);
  const slopes = new Float32Array(BINS);
  for (let b = 0; b < BINS; b++) {
    const b0 = Math.max(0, b - SLOPE_SPAN), b1 = Math.min(BINS - 1, b + SLOPE_SPAN);
    slopes[b] = scale > 0 && b1 > b0 ? Math.abs(smooth[b1] - smooth[b0]) * scale / (b1 - b0) || 0 : 1;
  }
  const pred = scratch.f32Raw(n);
  for (let i = 0; i < n; i++) pred[i] = curve[((X[i] - lo) * scale) | 0] || 0;
  const top = BINS - 1;
  const slopeAt = (v: number): number => { const b = ((v - lo) * scale) | 0; return slopes[b < 0 ? 0 : b > top ? top : b]; };
  return { pred, slopeAt };
}

/** Empty bins (NaN) take the nearest filled bin below, or else above. */
export function fillGaps(curve: Float32Array): void {
  let last = NaN;
  for (let b = 0; b < curve.length; b++) if (Number.isNaN(curve[b])) curve[b] = last; else last = curve[b];
  last = NaN;
  for (let b = curve.length - 1; b >= 0; b--) if (Number.isNaN(curve[b])) curve[b] = last; else last = curve[b];
}
