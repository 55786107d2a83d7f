// Local second-order statistics of two aligned planes (SSIM's window statistics with a box window):
// variances of each and their covariance. The SSIM structure term and the regression residual of the
// output on the source are built from these.
import { boxMean } from './box-filter.ts';
import type { Plane } from './image.ts';
import type { Scratch } from './scratch.ts';

export interface LocalStats {
  width: number;
  height: number;
  /** Source variance per window. */
  vx: Float32Array;
  /** Output variance per window. */
  vy: Float32Array;
  /** Covariance per window. */
  cxy: Float32Array;
}

export function localStats(x: Plane, y: Plane, r: number, scratch: Scratch): LocalStats {
  const { width, height } = x;
  const n = width * height;
  const tmp = scratch.f32Raw(n), prod = scratch.f32Raw(n);
  const mx = scratch.f32Raw(n), my = scratch.f32Raw(n);
  const vx = scratch.f32Raw(n), vy = scratch.f32Raw(n), cxy = scratch.f32Raw(n);
  const X = x.data, Y = y.data;
  boxMean(X, width, height, r, mx, tmp);
  boxMean(Y, width, height, r, my, tmp);
  for (let i = 0; i < n; i++) prod[i] = X[i] * X[i];
  boxMean(prod, width, height, r, vx, tmp);
  for (let i = 0; i < n; i++) prod[i] = Y[i] * Y[i];
  boxMean(prod, width, height, r, vy, tmp);
  for (let i = 0; i < n; i++) prod[i] = X[i] * Y[i];
  boxMean(prod, width, height, r, cxy, tmp);
  for (let i = 0; i < n; i++) {
    const a = mx[i], b = my[i];
    const va = vx[i] - a * a, vb = vy[i] - b * b;
    vx[i] = va > 0 ? va : 0;
    vy[i] = vb > 0 ? vb : 0;
    cxy[i] -= a * b;
  }
  return { width, height, vx, vy, cxy };
}

/** Box-smoothed copy of a plane (radius r). */
export function smooth(p: Plane, r: number, scratch: Scratch): Plane {
  if (r <= 0) return p;
  const out = scratch.f32Raw(p.data.length);
  boxMean(p.data, p.width, p.height, r, out, scratch.f32Raw(p.data.length));
  return { width: p.width, height: p.height, data: out };
}

/**
 * Local statistics where each pixel counts with weight w (0 excludes it, e.g. a light source):
 * weighted means, variances and covariance per window. `wsum` receives the mean weight per window.
 */
export function weightedLocalStats(x: Plane, y: Plane, w: Float32Array, r: number, scratch: Scratch): LocalStats & { wsum: Float32Array } {
  const { width, height } = x;
  const n = width * height;
  const tmp = scratch.f32Raw(n), prod = scratch.f32Raw(n);
  const ws = scratch.f32Raw(n), mx = scratch.f32Raw(n), my = scratch.f32Raw(n);
  const vx = scratch.f32Raw(n), vy = scratch.f32Raw(n), cxy = scratch.f32Raw(n);
  const X = x.data, Y = y.data;
  boxMean(w, width, height, r, ws, tmp);
  for (let i = 0; i < n; i++) prod[i] = w[i] * X[i];
  boxMean(prod, width, height, r, mx, tmp);
  for (let i = 0; i < n; i++) prod[i] = w[i] * Y[i];
  boxMean(prod, width, height, r, my, tmp);
  for (let i = 0; i < n; i++) prod[i] = w[i] * X[i] * X[i];
  boxMean(prod, width, height, r, vx, tmp);
  for (let i = 0; i < n; i++) prod[i] = w[i] * Y[i] * Y[i];
  boxMean(prod, width, height, r, vy, tmp);
  for (let i = 0; i < n; i++) prod[i] = w[i] * X[i] * Y[i];
  boxMean(prod, width, height, r, cxy, tmp);
  for (let i = 0; i < n; i++) {
    const s = ws[i];
    if (s < 1e-6) { vx[i] = 0; vy[i] = 0; cxy[i] = 0; continue; }
    const a = mx[i] / s, b = my[i] / s;
    const va = vx[i] / s - a * a, vb = vy[i] / s - b * b;
    vx[i] = va > 0 ? va : 0;
    vy[i] = vb > 0 ? vb : 0;
    cxy[i] = cxy[i] / s - a * b;
  }
  return { width, height, vx, vy, cxy, wsum: ws };
}
