// Image-quality measures for the benchmarks that compare translations with a true target: PSNR, SSIM,
// and the tuned photometric baseline (gamma, per-channel gain, sensor noise) fitted on training pairs.
import { photometricNight } from '@nightshift/consistency';

/** 8-bit RGB, the shape every package's RgbImage shares. */
export interface RgbImage { readonly width: number; readonly height: number; readonly data: Uint8Array }

export interface ImagePair { readonly input: RgbImage; readonly target: RgbImage }

export function psnr(a: RgbImage, b: RgbImage): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, per channel, averaged. */
export function ssim(a: RgbImage, b: RgbImage): number {
  const { width: w, height: h } = a;
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const gs = g.reduce((s, v) => s + v, 0);
  const k = g.map((v) => v / gs);
  const blur = (src: Float64Array): Float64Array => {
    const tmp = new Float64Array(w * h);
    const out = new Float64Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -5; i <= 5; i++) s += k[i + 5] * src[y * w + Math.min(w - 1, Math.max(0, x + i))];
      tmp[y * w + x] = s;
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -5; i <= 5; i++) s += k[i + 5] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
      out[y * w + x] = s;
    }
    return out;
  };
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const x = new Float64Array(w * h);
    const y = new Float64Array(w * h);
    for (let p = 0; p < w * h; p++) { x[p] = a.data[p * 3 + c]; y[p] = b.data[p * 3 + c]; }
    const mx = blur(x), my = blur(y);
    const xx = blur(x.map((v) => v * v)), yy = blur(y.map((v) => v * v)), xy = blur(x.map((v, i) => v * y[i]));
    let s = 0;
    for (let p = 0; p < w * h; p++) {
      const vx = xx[p] - mx[p] ** 2, vy = yy[p] - my[p] ** 2, cxy = xy[p] - mx[p] * my[p];
      s += ((2 * mx[p] * my[p] + C1) * (2 * cxy + C2)) / ((mx[p] ** 2 + my[p] ** 2 + C1) * (vx + vy + C2));
    }
    total += s / (w * h);
  }
  return total / 3;
}

export interface PhotometricFit { gamma: number; tint: [number, number, number]; noise: number }

/**
 * The photometric baseline fitted on training pairs: the gamma (grid 0.1..4 in 0.05 steps) and
 * per-channel gains minimising squared error target ≈ gain · 255 (input/255)^gamma, and the target's
 * sensor noise (robust estimate from the Laplacian-like residual).
 */
export function fitPhotometric(pairs: readonly ImagePair[]): PhotometricFit {
  let best = { sse: Infinity, gamma: 1, tint: [1, 1, 1] as [number, number, number] };
  for (let gamma = 0.1; gamma <= 4.0001; gamma += 0.05) {
    const xx = [0, 0, 0], xn = [0, 0, 0], nn = [0, 0, 0];
    for (const { input, target } of pairs) {
      for (let i = 0; i < input.data.length; i++) {
        const c = i % 3;
        const x = 255 * (input.data[i] / 255) ** gamma;
        xx[c] += x * x; xn[c] += x * target.data[i]; nn[c] += target.data[i] ** 2;
      }
    }
    // Least-squares gain per channel; the residual sum of squares follows in closed form.
    const tint = [0, 1, 2].map((c) => xn[c] / xx[c]) as [number, number, number];
    const sse = [0, 1, 2].reduce((s, c) => s + nn[c] - (xn[c] * xn[c]) / xx[c], 0);
    if (sse < best.sse) best = { sse, gamma, tint };
  }
  // Sensor noise: for white noise of std s, v - mean(4 neighbours) has std s·sqrt(1.25); robust (MAD) estimate.
  const residuals: number[] = [];
  for (const { target } of pairs) {
    const { width: w, height: h, data } = target;
    for (let y = 1; y < h - 1; y += 2) for (let x = 1; x < w - 1; x += 2) for (let c = 0; c < 3; c++) {
      const at = (yy: number, xx: number) => data[(yy * w + xx) * 3 + c];
      residuals.push(Math.abs(at(y, x) - (at(y - 1, x) + at(y + 1, x) + at(y, x - 1) + at(y, x + 1)) / 4));
    }
  }
  residuals.sort((p, q) => p - q);
  const noise = (1.4826 * residuals[Math.floor(residuals.length / 2)]) / Math.sqrt(1.25);
  return { gamma: best.gamma, tint: best.tint, noise };
}

/** The fitted baseline as a translator. */
export function photometricBaseline(fit: PhotometricFit, seed = 7): (image: RgbImage) => RgbImage {
  return photometricNight({ gamma: fit.gamma, exposure: 1, tint: fit.tint, noise: fit.noise, seed });
}

export function describeFit(fit: PhotometricFit): string {
  return `gamma ${fit.gamma.toFixed(2)}, gains ${fit.tint.map((v) => v.toFixed(2)).join('/')}, noise ${fit.noise.toFixed(1)}`;
}
