// im2col and its adjoint for NHWC tensors. Row p of the patch matrix is output pixel p
// (flattened n, oy, ox); column k is (kh, kw, c) in the filter's own order, so the filter
// tensor [kH, kW, inC, outC] is already the [K, outC] matrix the convolution multiplies by.
import type { ConvGeometry } from './conv-geometry.ts';

/** Writes patch rows [p0, p1) into `out` as a row-major [(p1 - p0), K] matrix (padding reads as 0). */
export function im2colRows(x: Float32Array, g: ConvGeometry, p0: number, p1: number, out: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const ox = p % outW;
    const oy = Math.floor(p / outW) % outH;
    const n = Math.floor(p / (outW * outH));
    const y0 = oy * strideH - padTop;
    const x0 = ox * strideW - padLeft;
    for (let kh = 0; kh < kH; kh++) {
      const iy = y0 + kh * dilationH;
      const rowInside = iy >= 0 && iy < inH;
      const rowBase = (n * inH + iy) * inW;
      for (let kw = 0; kw < kW; kw++) {
        const ix = x0 + kw * dilationW;
        if (rowInside && ix >= 0 && ix < inW) {
          const src = (rowBase + ix) * inC;
          for (let c = 0; c < inC; c++) out[o + c] = x[src + c];
        } else {
          out.fill(0, o, o + inC);
        }
        o += inC;
      }
    }
  }
}

/**
 * Writes the transpose of patch rows [p0, p1): a row-major [K, (p1 - p0)] matrix. The filter
 * gradient is this matrix times dy, and building it directly avoids a transposed matmul.
 */
export function im2colColumns(x: Float32Array, g: ConvGeometry, p0: number, p1: number, out: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const rows = p1 - p0;
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      const kBase = (kh * kW + kw) * inC;
      for (let p = p0; p < p1; p++) {
        const ox = p % outW;
        const oy = Math.floor(p / outW) % outH;
        const n = Math.floor(p / (outW * outH));
        const iy = oy * strideH - padTop + kh * dilationH;
        const ix = ox * strideW - padLeft + kw * dilationW;
        let dst = kBase * rows + (p - p0);
        if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
          const src = ((n * inH + iy) * inW + ix) * inC;
          for (let c = 0; c < inC; c++, dst += rows) out[dst] = x[src + c];
        } else {
          for (let c = 0; c < inC; c++, dst += rows) out[dst] = 0;
        }
      }
    }
  }
}

/** Adjoint of im2colRows: adds patch rows [p0, p1) of `cols` back into the NHWC input gradient `dx`. */
export function col2imRowsAdd(cols: Float32Array, g: ConvGeometry, p0: number, p1: number, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const ox = p % outW;
    const oy = Math.floor(p / outW) % outH;
    const n = Math.floor(p / (outW * outH));
    const y0 = oy * strideH - padTop;
    const x0 = ox * strideW - padLeft;
    for (let kh = 0; kh < kH; kh++) {
      const iy = y0 + kh * dilationH;
      const rowInside = iy >= 0 && iy < inH;
      const rowBase = (n * inH + iy) * inW;
      for (let kw = 0; kw < kW; kw++) {
        const ix = x0 + kw * dilationW;
        if (rowInside && ix >= 0 && ix < inW) {
          const dst = (rowBase + ix) * inC;
          for (let c = 0; c < inC; c++) dx[dst + c] += cols[o + c];
        }
        o += inC;
      }
    }
  }
}

/** [kH, kW, inC, outC] filter as the row-major [outC, K] matrix (its transpose). */
export function transposeFilter(filter: Float32Array, k: number, outC: number): Float32Array {
  const t = new Float32Array(k * outC);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < outC; j++) t[j * k + i] = filter[i * outC + j];
  }
  return t;
}
