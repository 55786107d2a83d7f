// Erasing an object from an image: push-pull inpainting. The pull phase averages the known pixels
// (outside the mask) into a pyramid, weighting by how much of each cell is known; the push phase fills
// unknown pixels from the next coarser level, so the hole is filled by a smooth interpolation of its
// boundary at every scale. Optional noise matched to the surroundings keeps the fill from being
// conspicuously clean. Pixels outside the mask are never changed.
import type { RgbImage } from '../image.ts';
import { Prng } from './prng.ts';

interface Level {
  w: number;
  h: number;
  /** Premultiplied RGB sums and weights. */
  v: Float32Array;
  k: Float32Array;
}

/** A copy of `image` with the pixels where `mask` is non-zero filled from their surroundings. */
export function inpaint(image: RgbImage, mask: Uint8Array, options: { noiseSeed?: number } = {}): RgbImage {
  const { width, height, data } = image;
  if (mask.length !== width * height) throw new RangeError(`inpaint: mask has ${mask.length} values, the image ${width * height} pixels`);
  const base: Level = { w: width, h: height, v: new Float32Array(width * height * 3), k: new Float32Array(width * height) };
  for (let i = 0; i < width * height; i++) {
    if (mask[i]) continue;
    base.k[i] = 1;
    base.v[i * 3] = data[i * 3];
    base.v[i * 3 + 1] = data[i * 3 + 1];
    base.v[i * 3 + 2] = data[i * 3 + 2];
  }
  const levels: Level[] = [base];
  while (levels[levels.length - 1].w > 1 || levels[levels.length - 1].h > 1) {
    const f = levels[levels.length - 1];
    const w = Math.ceil(f.w / 2), h = Math.ceil(f.h / 2);
    const c: Level = { w, h, v: new Float32Array(w * h * 3), k: new Float32Array(w * h) };
    for (let y = 0; y < f.h; y++) for (let x = 0; x < f.w; x++) {
      const i = y * f.w + x, j = (y >> 1) * w + (x >> 1);
      c.k[j] += f.k[i];
      c.v[j * 3] += f.v[i * 3];
      c.v[j * 3 + 1] += f.v[i * 3 + 1];
      c.v[j * 3 + 2] += f.v[i * 3 + 2];
    }
    // Normalise to weights in [0, 1] (a cell fully known has weight 1) and premultiplied values.
    for (let j = 0; j < w * h; j++) {
      const k = c.k[j];
      if (k <= 0) continue;
      const nk = Math.min(1, k);
      const s = nk / k;
      c.v[j * 3] *= s; c.v[j * 3 + 1] *= s; c.v[j * 3 + 2] *= s;
      c.k[j] = nk;
    }
    levels.push(c);
  }
  // Push: blend each level with the (already filled) coarser one where its weight is below 1. The
  // coarser level is sampled bilinearly at the pixel's centre: copying each coarse cell to its 2x2
  // children instead would fill the hole with flat blocks whose edges read as structure.
  for (let l = levels.length - 2; l >= 0; l--) {
    const f = levels[l], c = levels[l + 1];
    const addCoarse = (i: number, j: number, share: number): void => {
      if (share === 0) return;
      const s = share / (c.k[j] > 0 ? c.k[j] : 1);
      f.v[i * 3] += s * c.v[j * 3];
      f.v[i * 3 + 1] += s * c.v[j * 3 + 1];
      f.v[i * 3 + 2] += s * c.v[j * 3 + 2];
    };
    for (let y = 0; y < f.h; y++) {
      const cy = Math.min(c.h - 1, Math.max(0, y / 2 - 0.25));
      const y0 = Math.floor(cy), y1 = Math.min(c.h - 1, y0 + 1), wy = cy - y0;
      for (let x = 0; x < f.w; x++) {
        const i = y * f.w + x;
        const k = f.k[i];
        if (k >= 1) continue;
        const cx = Math.min(c.w - 1, Math.max(0, x / 2 - 0.25));
        const x0 = Math.floor(cx), x1 = Math.min(c.w - 1, x0 + 1), wx = cx - x0;
        const rest = 1 - k;
        addCoarse(i, y0 * c.w + x0, rest * ((1 - wx) * (1 - wy)));
        addCoarse(i, y0 * c.w + x1, rest * (wx * (1 - wy)));
        addCoarse(i, y1 * c.w + x0, rest * ((1 - wx) * wy));
        addCoarse(i, y1 * c.w + x1, rest * (wx * wy));
        f.k[i] = 1;
      }
    }
  }
  const out = new Uint8Array(data);
  const sigma = options.noiseSeed === undefined ? 0 : surroundingNoise(image, mask);
  const rng = new Prng(options.noiseSeed ?? 0);
  for (let i = 0; i < width * height; i++) {
    if (!mask[i]) continue;
    const n = sigma > 0 ? rng.gauss() * sigma : 0;
    for (let c = 0; c < 3; c++) {
      const v = base.v[i * 3 + c] + n;
      out[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { width, height, data: out };
}

/** Standard deviation of the luminance Laplacian-like residual (pixel minus its 4-neighbour mean) next to the mask. */
function surroundingNoise(image: RgbImage, mask: Uint8Array): number {
  const { width, height, data } = image;
  const lum = (i: number): number => 0.299 * data[i * 3] + 0.587 * data[i * 3 + 1] + 0.114 * data[i * 3 + 2];
  let s = 0, s2 = 0, n = 0;
  for (let y = 1; y < height - 1; y++) for (let x = 1; x < width - 1; x++) {
    const i = y * width + x;
    if (mask[i]) continue;
    // Only pixels within 3 px of the mask.
    let near = false;
    for (let d = 1; d <= 3 && !near; d++) {
      if ((x - d >= 0 && mask[i - d]) || (x + d < width && mask[i + d]) || (y - d >= 0 && mask[i - d * width]) || (y + d < height && mask[i + d * width])) near = true;
    }
    if (!near || mask[i - 1] || mask[i + 1] || mask[i - width] || mask[i + width]) continue;
    const r = lum(i) - 0.25 * (lum(i - 1) + lum(i + 1) + lum(i - width) + lum(i + width));
    s += r; s2 += r * r; n++;
  }
  if (n < 10) return 0;
  const v = s2 / n - (s / n) ** 2;
  // A 4-neighbour residual of white noise has variance 1.25 sigma^2.
  return Math.sqrt(Math.max(0, v) / 1.25);
}
