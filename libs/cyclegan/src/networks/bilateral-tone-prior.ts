/**
 * The unpaired tone prior of the bilateral generator: per-channel histogram (CDF) matching between
 * the two training folders gives one monotone curve per channel, from the marginals alone (no pair of
 * images is ever compared), and a fresh generator's coefficient head starts at that curve everywhere.
 * The GAN then refines a good global tone map instead of searching for one from the identity.
 *
 * Night adds light the day has no counterpart for (lamps, glows, lit windows, vehicle lights): the
 * brightest LIGHT_MASS of the target folder's pixels is left out of the day→night match, so the day's
 * brightest values (a white sky, a white wall) map to what the rest of the night is, not to lamp
 * heads; the light layer is there for the lamps. That match leaves the night's mean to the light layer
 * too, which a fresh light layer does not add: the curve is lifted by LIGHT_LIFT of the difference
 * between the target folder's mean and the curve's own mean output over the source folder (+2.2 / +1.8
 * / +1.6 levels for the default's folders). The night→day match is pulled toward the day mean
 * (its contrast times BRIGHTENING_CONTRAST): a night pixel's value says little about its day value
 * (the render's sensor noise, light pools, shadows), and the plain match, steep in the dark,
 * multiplies the noise by up to 6 and gave grainy days (15.70 dB / 0.384 SSIM on 10 validation
 * scenes, seeds 400000.., against 16.72 / 0.551 pulled by 0.4; 0.5: 16.79 / 0.519, 0.6: 16.75 / 0.490).
 */
import {
  CHANNEL_DEVIATION_MAX, COEFF_CHANNELS, CURVE_KNOTS, HEAD_BIAS_GAIN, OFFSET_MAX, SLOPE_MAX, SLOPE_MIN, SLOPE_SHIFT,
} from './bilateral-generator.ts';

/** 256-bin histograms of the R, G and B values of 8-bit interleaved RGB images. */
export type ChannelHistograms = readonly [Float64Array, Float64Array, Float64Array];

/** Share of the brightest target pixels that the day→night curve leaves to the light layer. */
export const LIGHT_MASS = 0.1;
/**
 * Share of the mean left to the light layer that the darkening curve adds back. On 8 validation scenes
 * (seeds 400000..) the curves alone, applied to the 8-bit values, score 19.26 / 0.775 unlifted, 19.43 /
 * 0.758 with 0.5 and 19.45 / 0.726 with 1 (PSNR dB / SSIM; the photometric fit: 19.38 / 0.658;
 * `node --import tsx bench/tone-curves.ts <day folder> <night folder>`, 2026-12-08); half keeps most
 * of the SSIM. The trained default from the lifted start is in datasets/models/README.md.
 */
export const LIGHT_LIFT = 0.5;
/** Contrast of the brightening (night→day) curve around the target mean, relative to the plain match. */
export const BRIGHTENING_CONTRAST = 0.4;
const SEGMENTS = CURVE_KNOTS.length;

export function channelHistograms(images: Iterable<Uint8Array>): ChannelHistograms {
  const h: ChannelHistograms = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  for (const data of images) for (let i = 0; i < data.length; i++) h[i % 3][data[i]]++;
  return h;
}

/**
 * The monotone 8-bit curve [256] that takes the distribution `from` to `to`, each value to the
 * target quantile of its own mid-bin quantile; with `lightMass` m, quantiles are taken within the
 * darkest 1 - m of `to`.
 */
export function matchedCurve(from: Float64Array, to: Float64Array, lightMass = 0): Float64Array {
  const total = (h: Float64Array) => h.reduce((a, b) => a + b, 0);
  const nFrom = total(from), nTo = total(to);
  if (nFrom === 0 || nTo === 0) throw new RangeError('matchedCurve: an empty histogram');
  const cdfTo = new Float64Array(256);
  for (let v = 0, s = 0; v < 256; v++) cdfTo[v] = (s += to[v]) / nTo;
  const curve = new Float64Array(256);
  for (let v = 0, below = 0, u = 0; v < 256; v++) {
    const q = ((below + from[v] / 2) / nFrom) * (1 - lightMass);
    below += from[v];
    while (u < 255 && cdfTo[u] < q) u++;
    const lo = u === 0 ? 0 : cdfTo[u - 1];
    const within = cdfTo[u] > lo ? (q - lo) / (cdfTo[u] - lo) : 0.5;
    curve[v] = Math.min(255, Math.max(0, u - 0.5 + within));
  }
  return curve;
}

/** The mean 8-bit value of the pixels counted in the 256-bin histograms, taken together. */
export function histogramMean(...histograms: readonly Float64Array[]): number {
  let sum = 0, count = 0;
  for (const histogram of histograms) for (let v = 0; v < 256; v++) { sum += v * histogram[v]; count += histogram[v]; }
  return sum / count;
}

/** `curve` shifted by `lift` of the gap between the mean of `to` and the curve's mean output over `from`. */
export function liftedToMean(curve: Float64Array, from: Float64Array, to: Float64Array, lift: number): Float64Array {
  let sum = 0, count = 0;
  for (let v = 0; v < 256; v++) { sum += curve[v] * from[v]; count += from[v]; }
  const shift = lift * (histogramMean(to) - sum / count);
  return curve.map((y) => Math.min(255, Math.max(0, y + shift)));
}

/** `curve` with its contrast around the mean value of `histogram` scaled by `contrast`. */
export function pulledToMean(curve: Float64Array, histogram: Float64Array, contrast: number): Float64Array {
  const mean = histogramMean(histogram);
  return curve.map((y) => mean + contrast * (y - mean));
}

/**
 * The coefficient head's bias [27] (stored units) whose curves follow the three 8-bit curves through
 * the generator's knots: per channel an offset (the curve's value at black) and 8 slopes, clamped to
 * the kind's bounds, with the channels' slope logits brought within CHANNEL_DEVIATION_MAX of their
 * shared value the same way the forward pass bounds them.
 */
export function coefficientBias(curves: readonly [Float64Array, Float64Array, Float64Array]): Float32Array {
  const at = (curve: Float64Array, x: number): number => {
    const v = ((x + 1) / 2) * 255;
    const i = Math.min(254, Math.floor(v));
    const f = v - i;
    return ((curve[i] * (1 - f) + curve[i + 1] * f) / 255) * 2 - 1;
  };
  const knots = [...CURVE_KNOTS, 1];
  const logits = curves.map((curve) => {
    const y = knots.map((x) => at(curve, x));
    return CURVE_KNOTS.map((t, d) => {
      const slope = Math.min(SLOPE_MAX * 0.99, Math.max(SLOPE_MIN * 1.05, (y[d + 1] - y[d]) / (knots[d + 1] - t)));
      const p = (slope - SLOPE_MIN) / (SLOPE_MAX - SLOPE_MIN);
      return Math.log(p / (1 - p)) - SLOPE_SHIFT;
    });
  });
  const bias = new Float32Array(COEFF_CHANNELS);
  for (let d = 0; d < SEGMENTS; d++) {
    const raw = tiedLogits(logits.map((l) => l[d]));
    raw.forEach((r, c) => { bias[c * SEGMENTS + d] = r / HEAD_BIAS_GAIN; });
  }
  curves.forEach((curve, c) => {
    const offset = Math.min(0.99, Math.max(-0.99, (at(curve, -1) + 1) / OFFSET_MAX));
    bias[3 * SEGMENTS + c] = Math.atanh(offset) / HEAD_BIAS_GAIN;
  });
  return bias;
}

/**
 * Raw logits r_c whose forward-pass result s + D tanh((r_c - s) / D), with s the mean of the r_c and
 * D = CHANNEL_DEVIATION_MAX, equals the wanted logits (each clamped to within 0.99 D of s): s is found
 * by bisection so that the r_c average to it.
 */
function tiedLogits(wanted: readonly number[]): number[] {
  const D = CHANNEL_DEVIATION_MAX;
  const raw = (s: number) => wanted.map((l) => s + D * Math.atanh(Math.min(0.99, Math.max(-0.99, (l - s) / D))));
  let lo = Math.min(...wanted), hi = Math.max(...wanted);
  for (let i = 0; i < 60; i++) {
    const s = (lo + hi) / 2;
    const mean = raw(s).reduce((a, b) => a + b, 0) / wanted.length;
    if (mean > s) lo = s; else hi = s;
  }
  return raw((lo + hi) / 2);
}
