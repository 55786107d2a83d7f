// The stand-in translator until a trained CycleGAN generator exists: a photometric night rendering of
// the day image (gamma darkening, exposure drop, blue shift, sensor noise). Any generator with the
// same shape, (rgb) => rgb, drops in wherever a Translate is taken.
import type { RgbImage } from './image.ts';
import { Prng } from './faults/prng.ts';

export type Translate = (image: RgbImage) => RgbImage | Promise<RgbImage>;

export interface PhotometricNightOptions {
  /** Gamma applied to [0, 1] intensities (> 1 darkens). Default 2.2. */
  gamma?: number;
  /** Exposure multiplier after the gamma. Default 0.55. */
  exposure?: number;
  /** Per-channel multipliers (blue shift). Default [0.75, 0.85, 1.15]. */
  tint?: [number, number, number];
  /** Noise standard deviation in 8-bit steps. Default 3. */
  noise?: number;
  seed?: number;
}

export function photometricNight(options: PhotometricNightOptions = {}): (image: RgbImage) => RgbImage {
  const gamma = options.gamma ?? 2.2, exposure = options.exposure ?? 0.55, noise = options.noise ?? 3;
  const tint = options.tint ?? [0.75, 0.85, 1.15];
  const luts = tint.map((t) => {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = 255 * exposure * t * (v / 255) ** gamma;
    return lut;
  });
  return (image) => {
    const rng = new Prng(options.seed ?? 1);
    const { data } = image;
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i += 3) {
      const n = noise > 0 ? rng.gauss() * noise : 0;
      for (let c = 0; c < 3; c++) {
        const v = luts[c][data[i + c]] + n;
        out[i + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
    return { width: image.width, height: image.height, data: out };
  };
}
