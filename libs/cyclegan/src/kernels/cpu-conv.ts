// Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter for tfjs-backend-cpu as im2col + gemm.
// Anything outside the fast path (NCHW, non-float32) goes to the kernel that was registered before.
import type {
  Conv2DAttrs, Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelFunc, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  MAX_CHUNK_FLOATS, backpropFilterGeometry, backpropInputGeometry, callFallback, conv2dGeometry, isFastPathDtype,
} from './conv-attrs.ts';
import { outputPixels, patchSize, rowsPerChunk } from './conv-geometry.ts';
import { gemmAccumulate } from './gemm.ts';
import { col2imRowsAdd, im2colColumns, im2colRows, transposeFilter } from './im2col.ts';

function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

export function cpuConv2D(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(x, filter)) return callFallback(fallback, args);
    const g = conv2dGeometry(x, filter, attrs);
    const xv = values(backend, x);
    const w = values(backend, filter);
    const k = patchSize(g);
    const total = outputPixels(g);
    const out = new Float32Array(total * g.outC);
    const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
    const cols = new Float32Array(chunk * k);
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const p1 = Math.min(total, p0 + chunk);
      im2colRows(xv, g, p0, p1, cols);
      gemmAccumulate(cols, w, out.subarray(p0 * g.outC, p1 * g.outC), p1 - p0, k, g.outC);
    }
    return backend.makeTensorInfo([g.batch, g.outH, g.outW, g.outC], 'float32', out);
  };
}

export function cpuConv2DBackpropInput(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(dy, filter)) return callFallback(fallback, args);
    const g = backpropInputGeometry(filter, attrs);
    const k = patchSize(g);
    const total = outputPixels(g);
    const dyv = values(backend, dy);
    const wt = transposeFilter(values(backend, filter), k, g.outC);
    const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
    const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
    const cols = new Float32Array(chunk * k);
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const p1 = Math.min(total, p0 + chunk);
      const rows = cols.subarray(0, (p1 - p0) * k);
      rows.fill(0);
      gemmAccumulate(dyv.subarray(p0 * g.outC, p1 * g.outC), wt, rows, p1 - p0, g.outC, k);
      col2imRowsAdd(rows, g, p0, p1, dx);
    }
    return backend.makeTensorInfo(attrs.inputShape, 'float32', dx);
  };
}

export function cpuConv2DBackpropFilter(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW' || !isFastPathDtype(x, dy)) return callFallback(fallback, args);
    const g = backpropFilterGeometry(x, attrs);
    const k = patchSize(g);
    const total = outputPixels(g);
    const xv = values(backend, x);
    const dyv = values(backend, dy);
    const dw = new Float32Array(k * g.outC);
    const chunk = rowsPerChunk(g, MAX_CHUNK_FLOATS);
    const colsT = new Float32Array(chunk * k);
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const p1 = Math.min(total, p0 + chunk);
      const rows = p1 - p0;
      im2colColumns(xv, g, p0, p1, colsT);
      gemmAccumulate(colsT, dyv.subarray(p0 * g.outC, p1 * g.outC), dw, k, rows, g.outC);
    }
    return backend.makeTensorInfo(attrs.filterShape, 'float32', dw);
  };
}
