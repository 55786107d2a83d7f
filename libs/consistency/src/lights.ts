// Night light sources (lamps, lit windows, head and tail lights, their glow and the pools they throw):
// pixels far brighter in the output than the source's own brightness predicts under the global
// day-to-night tone mapping. They are excluded from both checks.
import type { Plane } from './image.ts';

const BINS = 64;

/**
 * Global monotone-free tone curve: the median output log-luminance per bin of source log-luminance,
 * filled across empty bins. Returns the predicted output for each pixel.
 */
export function predictOutput(x: Plane, y: Plane): Float32Array {
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
  const curve = new Float32Array(BINS).fill(NaN);
  for (let b = 0; b < BINS; b++) {
    if (count[b] < 20) continue;
    const half = count[b] / 2;
    let acc = 0, q = 0;
    for (; q < 256; q++) { acc += hist[b * 256 + q]; if (acc >= half) break; }
    curve[b] = yLo + (q + 0.5) * yStep;
  }
  let last = NaN;
  for (let b = 0; b < BINS; b++) if (Number.isNaN(curve[b])) curve[b] = last; else last = curve[b];
  last = NaN;
  for (let b = BINS - 1; b >= 0; b--) if (Number.isNaN(curve[b])) curve[b] = last; else last = curve[b];
  const pred = new Float32Array(n);
  for (let i = 0; i < n; i++) pred[i] = curve[((X[i] - lo) * scale) | 0] || 0;
  return pred;
}
