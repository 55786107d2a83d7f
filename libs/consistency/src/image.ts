// Image and label types the checks take, and the conversion of RGB into the analysis grid: a
// log-luminance plane, box-averaged down by an integer factor so that large frames stay fast.
import { DatasetError } from '@nightshift/labels';
import type { Scratch } from './scratch.ts';

/** Interleaved 8-bit RGB, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Cityscapes-style labels of one image: labelIds and instanceIds (labelId*1000+k for instances). */
export interface LabelMaps {
  width: number;
  height: number;
  semantic: Uint8Array;
  instances: Uint16Array;
}

/** A float plane on the analysis grid. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

export function checkRgb(image: RgbImage, what: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DatasetError(what, `image size must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new DatasetError(what, `RGB data must hold width*height*3 = ${width * height * 3} bytes, got ${data.length}`);
  }
}

export function checkLabels(labels: LabelMaps, width: number, height: number, what: string): void {
  if (labels.width !== width || labels.height !== height) {
    throw new DatasetError(what, `labels are ${labels.width}x${labels.height}, the image is ${width}x${height}`);
  }
  if (labels.semantic.length !== width * height || labels.instances.length !== width * height) {
    throw new DatasetError(what, `semantic and instances must hold width*height = ${width * height} values`);
  }
}

/** Integer factor that brings the image width to at most `maxWidth` analysis pixels. */
export function analysisFactor(width: number, maxWidth: number): number {
  return Math.max(1, Math.ceil(width / maxWidth));
}

// log(1 + luminance / LOG_KNEE): logarithmic above the knee (a darkening or gamma is a shift there),
// linear below it, so that sensor noise in near-black pixels is not blown up.
export const LOG_KNEE = 6;
const LOG_LUT = (() => {
  const lut = new Float32Array(256 * 16);
  for (let i = 0; i < lut.length; i++) lut[i] = Math.log1p(i / 16 / LOG_KNEE);
  return lut;
})();

/**
 * Log-luminance of an RGB image, averaged over factor x factor blocks (the last partial blocks are
 * dropped). Luminance is Rec. 601 (0.299, 0.587, 0.114) in 1/16 steps through a lookup table.
 */
export function logLuminance(image: RgbImage, factor: number, scratch: Scratch): Plane {
  const { width, height, data } = image;
  const w = Math.floor(width / factor), h = Math.floor(height / factor);
  const out = scratch.f32Raw(w * h);
  const inv = 1 / (factor * factor);
  // 0.299, 0.587, 0.114 scaled by 16*256 = 4096: 1225, 2404, 467 (sum 4096).
  if (factor === 2) {
    // The common case (2048-wide frames), unrolled: the generic loop below costs twice as much.
    const stride = width * 3;
    for (let y = 0; y < h; y++) {
      let o = 2 * y * stride;
      for (let x = 0, i = y * w; x < w; x++, i++, o += 6) {
        const q = o + stride;
        out[i] = 0.25 * (LOG_LUT[(1225 * data[o] + 2404 * data[o + 1] + 467 * data[o + 2]) >> 8]
          + LOG_LUT[(1225 * data[o + 3] + 2404 * data[o + 4] + 467 * data[o + 5]) >> 8]
          + LOG_LUT[(1225 * data[q] + 2404 * data[q + 1] + 467 * data[q + 2]) >> 8]
          + LOG_LUT[(1225 * data[q + 3] + 2404 * data[q + 4] + 467 * data[q + 5]) >> 8]);
      }
    }
    return { width: w, height: h, data: out };
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let dy = 0; dy < factor; dy++) {
        let o = ((y * factor + dy) * width + x * factor) * 3;
        for (let dx = 0; dx < factor; dx++, o += 3) {
          acc += LOG_LUT[(1225 * data[o] + 2404 * data[o + 1] + 467 * data[o + 2]) >> 8];
        }
      }
      out[y * w + x] = acc * inv;
    }
  }
  return { width: w, height: h, data: out };
}

/** Labels sampled at the centre pixel of each factor x factor block. */
export function sampleLabels(labels: LabelMaps, factor: number, scratch: Scratch): LabelMaps {
  if (factor === 1) return labels;
  const w = Math.floor(labels.width / factor), h = Math.floor(labels.height / factor);
  const semantic = scratch.u8Raw(w * h), instances = scratch.u16Raw(w * h);
  const c = factor >> 1;
  for (let y = 0; y < h; y++) {
    const row = (y * factor + c) * labels.width + c;
    for (let x = 0; x < w; x++) {
      const i = row + x * factor;
      semantic[y * w + x] = labels.semantic[i];
      instances[y * w + x] = labels.instances[i];
    }
  }
  return { width: w, height: h, semantic, instances };
}
