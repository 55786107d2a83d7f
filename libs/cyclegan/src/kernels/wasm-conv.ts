// Conv2DBackpropFilter (missing from tfjs-backend-wasm) and Conv2DBackpropInput (a naive loop
// there) for the wasm backend: patch matrices are built in JS directly on the wasm heap and
// multiplied with the backend's own BatchMatMul kernel (XNNPACK, about 15 GFLOP/s single-threaded).
import { BatchMatMul, getKernel } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelFunc, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  MAX_CHUNK_FLOATS, backpropFilterGeometry, backpropInputGeometry, isFastPathDtype,
} from './conv-attrs.ts';
import { outputPixels, patchSize, rowsPerChunk } from './conv-geometry.ts';
import { callFallback } from './cpu-conv.ts';
import { col2imRowsAdd, im2colColumns, transposeFilter } from './im2col.ts';

function heap(backend: BackendWasm, t: TensorInfo): Float32Array {
  // A fresh view every time: any allocation may grow (and so detach) the wasm memory.
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function matMul(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  const kernel = getKernel(BatchMatMul, 'wasm');
  if (!kernel) throw new Error('fast conv kernels: the wasm backend has no BatchMatMul kernel');
  return kernel.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
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

export function wasmConv2DBackpropFilter(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(x, dy)) return callFallback(fallback, args);
    const g = backpropFilterGeometry(x, attrs);
    const k = patchSize(g);
    const total = outputPixels(g);
    const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
    if (chunk === total) {
      const dw = filterGradChunk(backend, x, dy, g, 0, total, k);
      return { dataId: dw.dataId, shape: attrs.filterShape, dtype: 'float32' };
    }
    const sum = new Float32Array(k * g.outC);
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const part = filterGradChunk(backend, x, dy, g, p0, Math.min(total, p0 + chunk), k);
      const pv = heap(backend, part);
      for (let i = 0; i < sum.length; i++) sum[i] += pv[i];
      backend.disposeData(part.dataId);
    }
    const out = backend.makeOutput(attrs.filterShape, 'float32');
    heap(backend, out).set(sum);
    return out;
  };
}

function filterGradChunk(
  backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ReturnType<typeof backpropFilterGeometry>,
  p0: number, p1: number, k: number,
): TensorInfo {
  const colsT = backend.makeOutput([1, k, p1 - p0], 'float32');
  im2colColumns(heap(backend, x), g, p0, p1, heap(backend, colsT));
  const dyRows = rowRange(backend, dy, p0, p1, outputPixels(g), g.outC);
  const product = matMul(backend, colsT, dyRows);
  backend.disposeData(colsT.dataId);
  release(backend, dyRows, dy);
  return product;
}

export function wasmConv2DBackpropInput(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(dy, filter)) return callFallback(fallback, args);
    const g = backpropInputGeometry(filter, attrs);
    const k = patchSize(g);
    const total = outputPixels(g);
    const filterT = backend.makeOutput([1, g.outC, k], 'float32');
    heap(backend, filterT).set(transposeFilter(heap(backend, filter), k, g.outC));
    const dx = backend.makeOutput(attrs.inputShape, 'float32');
    heap(backend, dx).fill(0);
    const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
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
  };
}
