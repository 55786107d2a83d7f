/**
 * Bicubic resize of 8-bit RGB exactly as Pillow's Image.resize(size, Image.BICUBIC) (libImaging
 * Resample.c, Pillow 9): separable, horizontal pass first into 8-bit rows, then vertical; the
 * cubic kernel a = -0.5 widened by the scale when shrinking (antialiasing); fixed-point
 * coefficients with 22 fraction bits. The reference's preprocessing resizes with PIL, and sharp's
 * cubic upsampling places pixels differently (several grey levels apart), so training images are
 * resized here.
 */

const PRECISION_BITS = 32 - 8 - 2;
const SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Coefficients {
  readonly ksize: number;
  /** [first input index, tap count] per output index. */
  readonly bounds: Int32Array;
  /** Fixed-point weights, ksize per output index. */
  readonly weights: Int32Array;
}

function precompute(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(v: number): number {
  if (v >= 2 ** (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / 2 ** PRECISION_BITS);
}

/** Resizes row-major interleaved 8-bit pixels (`channels` per pixel) to outW x outH. */
export function resizeBicubicLikePil(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
): Uint8Array {
  if (outW === width && outH === height) return src.slice();
  const horiz = precompute(width, outW);
  const vert = precompute(height, outH);
  // Only the rows the vertical pass reads go through the horizontal pass.
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
  let img = src;
  let imgW = width;
  let rowOffset = 0;
  const half = 2 ** (PRECISION_BITS - 1);
  if (outW !== width) {
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(outW * rows * channels);
    for (let y = 0; y < rows; y++) {
      const inRow = (y + yFirst) * width * channels;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = horiz.bounds[xx * 2];
        const xmax = horiz.bounds[xx * 2 + 1];
        const kOff = xx * horiz.ksize;
        for (let c = 0; c < channels; c++) {
          let ss = half;
          for (let x = 0; x < xmax; x++) ss += src[inRow + (x + xmin) * channels + c] * horiz.weights[kOff + x];
          tmp[(y * outW + xx) * channels + c] = clip8(ss);
        }
      }
    }
    img = tmp;
    imgW = outW;
    rowOffset = yFirst;
  }
  if (outH === height) return img;
  const out = new Uint8Array(outW * outH * channels);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vert.bounds[yy * 2] - rowOffset;
    const ymax = vert.bounds[yy * 2 + 1];
    const kOff = yy * vert.ksize;
    for (let xx = 0; xx < imgW; xx++) {
      for (let c = 0; c < channels; c++) {
        let ss = half;
        for (let y = 0; y < ymax; y++) ss += img[((y + ymin) * imgW + xx) * channels + c] * vert.weights[kOff + y];
        out[(yy * outW + xx) * channels + c] = clip8(ss);
      }
    }
  }
  return out;
}
