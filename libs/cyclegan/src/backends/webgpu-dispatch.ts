/**
 * Fix for tfjs-backend-webgpu 4.22 "Dispatch size exceeds WebGPU limits in Y or Z dimension".
 *
 * Cause (node_modules/@tensorflow/tfjs-backend-webgpu/dist): Conv2DMMProgram lays an NHWC conv out as
 * dispatch {x: channels, y: outH*outW, z: batch} with 32 output pixels per workgroup along y
 * (workgroup 8x8 x 4x4 elements for vec4, 16x16 x 2x2 otherwise, 4x16 x 1x2 for <= 4 channels).
 * `reshapeDispatch` in backend_webgpu.js can only fold an oversized *x* dimension, so any conv whose
 * output has more than 65535 * 32 = 2,097,120 pixels per image fails: 2048x1024 has 2,097,152.
 * (The naive transposed conv, the default, and the element-wise and reduction programs use flat or
 * row layouts that stay inside the limit.)
 *
 * The override below splits such a conv into bands of output rows (each band a slice of the
 * explicitly padded input with the rows its receptive field needs), runs the stock kernel on each
 * band and concatenates. The result is the same convolution; only the dispatch is smaller.
 */
import {
  Concat, Conv2D, FusedConv2D, PadV2, Slice, backend_util, getKernel, registerKernel, unregisterKernel,
} from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** Output pixels per workgroup along the y dispatch dimension of the webgpu conv programs. */
const PIXELS_PER_WORKGROUP_Y = 32;

/** The webgpu backend as far as this module needs it. */
interface WebGpuBackendLike extends KernelBackend {
  readonly device: { readonly limits: { readonly maxComputeWorkgroupsPerDimension: number } };
}

function kernelFunc(name: string): KernelFunc {
  const k = getKernel(name, 'webgpu');
  if (!k) throw new Error(`tfjs-backend-webgpu has no ${name} kernel registered; import it before installing the dispatch fix`);
  return k.kernelFunc;
}

function asInfo(r: TensorInfo | TensorInfo[]): TensorInfo {
  return Array.isArray(r) ? r[0] : r;
}

/**
 * Rows of output per band so that no band exceeds `maxPixels` output pixels, with bands of equal
 * height (the last may be shorter). Returns outH when no split is needed.
 */
export function bandRows(outH: number, outW: number, maxPixels: number): number {
  if (outH * outW <= maxPixels) return outH;
  let bands = Math.ceil((outH * outW) / maxPixels);
  for (;;) {
    const rows = Math.ceil(outH / bands);
    if (rows * outW <= maxPixels) return Math.max(1, rows);
    bands++;
  }
}

function splitConv(original: KernelFunc, kind: 'Conv2D' | 'FusedConv2D'): KernelFunc {
  return (args) => {
    const backend = args.backend as WebGpuBackendLike;
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as NamedAttrMap & {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dilations: number | [number, number];
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const x = inputs.x!;
    const filter = inputs.filter!;
    const prelu = inputs.preluActivationWeights;
    const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
    if (attrs.dataFormat === 'NCHW' || x.shape.length !== 4 || (prelu !== undefined && prelu.shape.length > 1)) {
      return original(args);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
    );
    const rows = bandRows(info.outHeight, info.outWidth, limit * PIXELS_PER_WORKGROUP_Y);
    if (rows >= info.outHeight) return original(args);

    const temps: TensorInfo[] = [];
    const { top, bottom, left, right } = info.padInfo;
    let padded = x;
    if (top || bottom || left || right) {
      padded = asInfo(kernelFunc(PadV2)({
        inputs: { x }, backend,
        attrs: { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 },
      }));
      temps.push(padded);
    }
    const [n, , wp, c] = padded.shape;
    const sh = info.strideHeight;
    const kh = info.effectiveFilterHeight;
    const pieces: TensorInfo[] = [];
    try {
      for (let r0 = 0; r0 < info.outHeight; r0 += rows) {
        const r1 = Math.min(info.outHeight, r0 + rows);
        const inRows = (r1 - r0 - 1) * sh + kh;
        const band = asInfo(kernelFunc(Slice)({
          inputs: { x: padded }, backend, attrs: { begin: [0, r0 * sh, 0, 0], size: [n, inRows, wp, c] },
        }));
        temps.push(band);
        const bandInputs = kind === 'Conv2D' ? { x: band, filter } : { ...inputs, x: band };
        pieces.push(asInfo(original({
          inputs: bandInputs as never, backend, attrs: { ...attrs, pad: 'valid', dimRoundingMode: undefined } as never,
        })));
      }
      return kernelFunc(Concat)({ inputs: pieces as never, backend, attrs: { axis: 1 } });
    } finally {
      for (const t of [...temps, ...pieces]) backend.disposeData(t.dataId);
    }
  };
}

let installed: KernelConfig[] | undefined;

/**
 * Replaces the webgpu Conv2D and FusedConv2D kernels by versions that split oversized dispatches.
 * Idempotent. Call after tfjs-backend-webgpu has been imported (its kernels registered).
 */
export function installWebGpuDispatchFix(): void {
  if (installed) return;
  const saved: KernelConfig[] = [];
  for (const name of [Conv2D, FusedConv2D] as const) {
    const original = getKernel(name, 'webgpu');
    if (!original) continue;
    unregisterKernel(name, 'webgpu');
    registerKernel({ ...original, kernelFunc: splitConv(original.kernelFunc, name) });
    saved.push(original);
  }
  installed = saved;
}

/** Puts the stock kernels back (to reproduce the failure in tests). */
export function uninstallWebGpuDispatchFix(): void {
  if (!installed) return;
  for (const original of installed) {
    unregisterKernel(original.kernelName, 'webgpu');
    registerKernel(original);
  }
  installed = undefined;
}

export function isWebGpuDispatchFixInstalled(): boolean {
  return installed !== undefined;
}
