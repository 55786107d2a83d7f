// Conv2DBackpropFilter (missing from tfjs-backend-wasm) and Conv2DBackpropInput (a naive loop
// there) for the wasm backend. The multiply-adds run in the backend's own XNNPACK kernels (about
// 15 GFLOP/s single-threaded); JS only rearranges data on the wasm heap:
// - filter gradient: dW = im2col(x)^T · dy, with the transposed patch matrix built directly;
// - input gradient, stride 1: a Conv2D of dy with the flipped, transposed filter ("full" padding);
// - input gradient, other strides: col2im(dy · W^T).
import { BatchMatMul, Conv2D, Transpose, getKernel } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelFunc, TensorInfo, backend_util,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  MAX_CHUNK_FLOATS, backpropFilterGeometry, backpropInputGeometry, callFallback, isFastPathDtype,
} from './conv-attrs.ts';
import { outputPixels, patchSize, rowsPerChunk } from './conv-geometry.ts';
import type { ConvGeometry } from './conv-geometry.ts';
import { col2imColumnsAdd, col2imRowsAdd, im2colColumns, transposeFilter } from './im2col.ts';
import { transposeMatrix } from '../transpose-matrix.ts';

function heap(backend: BackendWasm, t: TensorInfo): Float32Array {
  // A fresh view every time: any allocation may grow (and so detach) the wasm memory.
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function wasmKernel(name: string): KernelFunc {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`fast conv kernels: the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc;
}

function matMul(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  return wasmKernel(BatchMatMul)({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
}

/** Rows [p0, p1) of a row-major [P, C] tensor as a [1, rows, C] tensor (a view when it is all of it). */
function rowRange(backend: BackendWasm, t: TensorInfo, p0: number, p1: number, total: number, c: number): TensorInfo {
  if (p0 === 0 && p1 === total) return { dataId: t.dataId, shape: [1, total, c], dtype: t.dtype };
  const part = backend.makeOutput([1, p1 - p0, c], 'float32');
  heap(backend, part).set(heap(backend, t).subarray(p0 * c, p1 * c));
  return part;
}

function release(backend: BackendWasm, part: TensorInfo, whole: TensorInfo): void {
  if (part.dataId !== whole.dataId) backend.disposeData(part.dataId);
}

// ---------------------------------------------------------------- filter gradient

// tfjs-wasm's BatchMatMul packs its right operand anew for every new tensor (tens of ms for a few
// million numbers), so each product below keeps the big patch matrix on the left.

export function wasmConv2DBackpropFilter(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(x, dy)) return callFallback(fallback, args);
    const g = backpropFilterGeometry(x, attrs);
    const swapped = g.outC < SWAPPED_CONV_MAX_OUT_C ? swappedConvPadding(g) : null;
    if (swapped) return filterGradAsConv(backend, x, dy, g, swapped);
    const k = patchSize(g);
    const total = outputPixels(g);
    const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
    // dW [K, outC] = im2col(x)^T · dy, summed over chunks of output pixels.
    const sum = chunk < total ? new Float32Array(k * g.outC) : null;
    let single: TensorInfo | null = null;
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const p1 = Math.min(total, p0 + chunk);
      const colsT = backend.makeOutput([1, k, p1 - p0], 'float32');
      im2colColumns(heap(backend, x), g, p0, p1, heap(backend, colsT));
      const dyRows = rowRange(backend, dy, p0, p1, total, g.outC);
      const product = matMul(backend, colsT, dyRows);
      backend.disposeData(colsT.dataId);
      release(backend, dyRows, dy);
      if (!sum) { single = product; break; }
      const pv = heap(backend, product);
      for (let i = 0; i < sum.length; i++) sum[i] += pv[i];
      backend.disposeData(product.dataId);
    }
    if (single) return { dataId: single.dataId, shape: attrs.filterShape, dtype: 'float32' };
    const out = backend.makeOutput(attrs.filterShape, 'float32');
    heap(backend, out).set(sum!);
    return out;
  };
}

// ---------------------------------------------------------------- input gradient

export function wasmConv2DBackpropInput(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(dy, filter)) return callFallback(fallback, args);
    const g = backpropInputGeometry(filter, attrs);
    const full = fullConvPadding(g);
    if (full) return backpropInputAsConv(backend, dy, filter, g, full);
    return backpropInputAsCol2im(backend, dy, filter, g, attrs.inputShape);
  };
}

/** Padding that turns a stride-1 input gradient into a convolution of dy, or null where none does. */
function fullConvPadding(g: ConvGeometry): backend_util.ExplicitPadding | null {
  if (g.strideH !== 1 || g.strideW !== 1 || g.dilationH !== 1 || g.dilationW !== 1) return null;
  const top = g.kH - 1 - g.padTop;
  const left = g.kW - 1 - g.padLeft;
  const bottom = g.inH - g.outH - top + g.kH - 1;
  const right = g.inW - g.outW - left + g.kW - 1;
  if (Math.min(top, left, bottom, right) < 0) return null;
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

function backpropInputAsConv(
  backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, pad: backend_util.ExplicitPadding,
): TensorInfo {
  return wasmKernel(Conv2D)({
    inputs: { x: dy, filter: flippedFilter(backend, filter, g) }, backend,
    attrs: { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 },
  }) as TensorInfo;
}

// A training iteration takes the input gradient through each weight several times (a generator
// runs three times per iteration, a discriminator's weights serve both steps) before the optimiser
// replaces it. Keeping the flipped copy while the weight lives saves the flip and, because
// XNNPACK caches its packed operator per filter tensor, the repacking too. Copies whose weight is
// gone are freed on the next call, so at most one copy of each live weight is held.
const flippedFilters = new WeakMap<BackendWasm, Map<object, TensorInfo>>();

function flippedFilter(backend: BackendWasm, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  let cache = flippedFilters.get(backend);
  if (!cache) flippedFilters.set(backend, (cache = new Map()));
  for (const [source, flipped] of cache) {
    if (!backend.dataIdMap.has(source)) {
      backend.disposeData(flipped.dataId);
      cache.delete(source);
    }
  }
  const cached = cache.get(filter.dataId);
  if (cached) return cached;
  const { kH, kW, inC, outC } = g;
  const flipped = backend.makeOutput([kH, kW, outC, inC], 'float32');
  const w = heap(backend, filter);
  const f = heap(backend, flipped);
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      const src = ((kH - 1 - kh) * kW + (kW - 1 - kw)) * inC * outC;
      const dst = (kh * kW + kw) * outC * inC;
      for (let ci = 0; ci < inC; ci++) {
        for (let co = 0; co < outC; co++) f[dst + co * inC + ci] = w[src + ci * outC + co];
      }
    }
  }
  cache.set(filter.dataId, flipped);
  return flipped;
}

/**
 * dx = col2im(dy · W^T), or col2im((W · dy^T)^T) when there are fewer output pixels than patch
 * entries: the right operand (the one BatchMatMul packs) is then the smaller of W^T and dy^T.
 */
function backpropInputAsCol2im(
  backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, inputShape: number[],
): TensorInfo {
  const k = patchSize(g);
  const total = outputPixels(g);
  const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
  const dx = backend.makeOutput(inputShape, 'float32');
  heap(backend, dx).fill(0);
  if (total < k) {
    const w = { dataId: filter.dataId, shape: [1, k, g.outC], dtype: filter.dtype } as TensorInfo;
    const dyT = transposeMatrix(heap(backend, dy), total, g.outC);
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const p1 = Math.min(total, p0 + chunk);
      const rows = p1 - p0;
      const dyTPart = backend.makeOutput([1, g.outC, rows], 'float32');
      const view = heap(backend, dyTPart);
      for (let c = 0; c < g.outC; c++) view.set(dyT.subarray(c * total + p0, c * total + p1), c * rows);
      const colsT = matMul(backend, w, dyTPart);
      col2imColumnsAdd(heap(backend, colsT), g, p0, p1, heap(backend, dx));
      backend.disposeData(colsT.dataId);
      backend.disposeData(dyTPart.dataId);
    }
    return dx;
  }
  const filterT = backend.makeOutput([1, g.outC, k], 'float32');
  heap(backend, filterT).set(transposeFilter(heap(backend, filter), k, g.outC));
  for (let p0 = 0; p0 < total; p0 += chunk) {
    const p1 = Math.min(total, p0 + chunk);
    const dyRows = rowRange(backend, dy, p0, p1, total, g.outC);
    const cols = matMul(backend, dyRows, filterT);
    col2imRowsAdd(heap(backend, cols), g, p0, p1, heap(backend, dx));
    backend.disposeData(cols.dataId);
    release(backend, dyRows, dy);
  }
  backend.disposeData(filterT.dataId);
  return dx;
}

// With very few output channels the product is cheap and building the patch matrix in JS is what
// costs (the 7x7 output layer: 12.8 M patch entries for 3 channels); there XNNPACK does it all.
const SWAPPED_CONV_MAX_OUT_C = 8;

/**
 * The filter gradient is itself a convolution with image and batch axes swapped:
 * dW[kh, kw, ci, co] = sum over (oy, ox, n) of x^T[ci, kh + s*oy - pad, kw + s*ox - pad, n] * dy[oy, ox, n, co],
 * i.e. conv2d(x^T, dy^T) with dilation s. Returns its padding, or null where it would be negative.
 */
function swappedConvPadding(g: ConvGeometry): backend_util.ExplicitPadding | null {
  if (g.dilationH !== 1 || g.dilationW !== 1) return null;
  const bottom = g.kH + (g.outH - 1) * g.strideH - g.inH - g.padTop;
  const right = g.kW + (g.outW - 1) * g.strideW - g.inW - g.padLeft;
  if (Math.min(g.padTop, g.padLeft, bottom, right) < 0) return null;
  return [[0, 0], [g.padTop, bottom], [g.padLeft, right], [0, 0]];
}

function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return wasmKernel(Transpose)({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

function filterGradAsConv(
  backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, pad: backend_util.ExplicitPadding,
): TensorInfo {
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const swapped = wasmKernel(Conv2D)({
    inputs: { x: xT, filter: dyT }, backend,
    attrs: { strides: 1, pad, dataFormat: 'NHWC', dilations: [g.strideH, g.strideW] },
  }) as TensorInfo;
  const dw = transpose(backend, swapped, [1, 2, 0, 3]);
  for (const t of [xT, dyT, swapped]) backend.disposeData(t.dataId);
  return dw;
}
