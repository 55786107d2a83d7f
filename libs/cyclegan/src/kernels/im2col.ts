// im2col and its adjoint for NHWC tensors. Row p of the patch matrix is output pixel p
// (flattened n, oy, ox); column k is (kh, kw, c) in the filter's own order, so the filter
// tensor [kH, kW, inC, outC] is already the [K, outC] matrix the convolution multiplies by.
import type { ConvGeometry } from './conv-geometry.ts';

/**
 * Writes patch rows [p0, p1) into `out` as a row-major [(p1 - p0), K] matrix (padding reads as 0).
 * With dilation 1 the kW taps of one filter row are neighbouring pixels, so each (pixel, kh) is one
 * contiguous run of up to kW * inC numbers.
 */
export function im2colRows(x: Float32Array, g: ConvGeometry, p0: number, p1: number, out: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const rowLen = kW * inC;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const ox = p % outW;
    const oy = Math.floor(p / outW) % outH;
    const n = Math.floor(p / (outW * outH));
    const y0 = oy * strideH - padTop;
    const x0 = ox * strideW - padLeft;
    // Taps kw in [kwLo, kwHi) fall inside the image (dilation 1 only; otherwise tap by tap).
    const kwLo = Math.min(kW, Math.max(0, -x0));
    const kwHi = Math.max(kwLo, Math.min(kW, inW - x0));
    for (let kh = 0; kh < kH; kh++) {
      const iy = y0 + kh * dilationH;
      if (iy < 0 || iy >= inH) {
        out.fill(0, o, o + rowLen);
      } else if (dilationW === 1) {
        if (kwLo > 0) out.fill(0, o, o + kwLo * inC);
        const src = ((n * inH + iy) * inW + x0) * inC;
        for (let i = kwLo * inC, e = kwHi * inC; i < e; i++) out[o + i] = x[src + i];
        if (kwHi < kW) out.fill(0, o + kwHi * inC, o + rowLen);
      } else {
        for (let kw = 0; kw < kW; kw++) {
          const ix = x0 + kw * dilationW;
          const dst = o + kw * inC;
          if (ix < 0 || ix >= inW) { out.fill(0, dst, dst + inC); continue; }
          const src = ((n * inH + iy) * inW + ix) * inC;
          for (let c = 0; c < inC; c++) out[dst + c] = x[src + c];
        }
      }
      o += rowLen;
    }
  }
}

/**
 * Writes the transpose of patch rows [p0, p1): a row-major [K, (p1 - p0)] matrix. The filter
 * gradient is this matrix times dy, and building it directly avoids a transposed matmul. Each
 * output row is written front to back (reads stride through x, which stays in cache).
 */
export function im2colColumns(x: Float32Array, g: ConvGeometry, p0: number, p1: number, out: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const xStep = strideW * inC;
  let dst = 0;
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      for (let c = 0; c < inC; c++) {
        // Walk pixels p0..p1 as (n, oy) rows of ox runs; inside a run the source advances by xStep.
        let p = p0;
        let ox = p % outW;
        let oy = Math.floor(p / outW) % outH;
        let n = Math.floor(p / (outW * outH));
        while (p < p1) {
          const runEnd = Math.min(p1, p + (outW - ox));
          const iy = oy * strideH - padTop + kh * dilationH;
          const ix0 = ox * strideW - padLeft + kw * dilationW;
          if (iy < 0 || iy >= inH) {
            out.fill(0, dst, dst + (runEnd - p));
            dst += runEnd - p;
          } else {
            let ix = ix0;
            let src = ((n * inH + iy) * inW + ix) * inC + c;
            for (let q = p; q < runEnd; q++, ix += strideW, src += xStep) out[dst++] = ix >= 0 && ix < inW ? x[src] : 0;
          }
          ox += runEnd - p;
          p = runEnd;
          if (ox === outW) {
            ox = 0;
            if (++oy === outH) { oy = 0; n++; }
          }
        }
      }
    }
  }
}

/** Adjoint of im2colRows: adds patch rows [p0, p1) of `cols` back into the NHWC input gradient `dx`. */
export function col2imRowsAdd(cols: Float32Array, g: ConvGeometry, p0: number, p1: number, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const rowLen = kW * inC;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const ox = p % outW;
    const oy = Math.floor(p / outW) % outH;
    const n = Math.floor(p / (outW * outH));
    const y0 = oy * strideH - padTop;
    const x0 = ox * strideW - padLeft;
    for (let kh = 0; kh < kH; kh++) {
      const iy = y0 + kh * dilationH;
      if (iy >= 0 && iy < inH) {
        for (let kw = 0; kw < kW; kw++) {
          const ix = x0 + kw * dilationW;
          if (ix < 0 || ix >= inW) continue;
          const dst = ((n * inH + iy) * inW + ix) * inC;
          const src = o + kw * inC;
          for (let c = 0; c < inC; c++) dx[dst + c] += cols[src + c];
        }
      }
      o += rowLen;
    }
  }
}

/** Adjoint of im2colColumns: adds the [K, (p1 - p0)] transposed patch matrix back into `dx`. */
export function col2imColumnsAdd(colsT: Float32Array, g: ConvGeometry, p0: number, p1: number, dx: Float32Array): void {
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
        if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
        const dst = ((n * inH + iy) * inW + ix) * inC;
        let src = kBase * rows + (p - p0);
        for (let c = 0; c < inC; c++, src += rows) dx[dst + c] += colsT[src];
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
