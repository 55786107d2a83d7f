import { backend_util } from '@tensorflow/tfjs-core';
import type {
  Conv2DAttrs, Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelFunc, TensorInfo,
} from '@tensorflow/tfjs-core';
import { geometryFromConvInfo } from './conv-geometry.ts';
import type { ConvGeometry } from './conv-geometry.ts';

type Shape4 = [number, number, number, number];

/** Largest im2col chunk, in floats (8 MB): bounds scratch memory on big images. */
export const MAX_CHUNK_FLOATS = 1 << 21;

export function isFastPathDtype(...tensors: TensorInfo[]): boolean {
  return tensors.every((t) => t.dtype === 'float32');
}

export function conv2dGeometry(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): ConvGeometry {
  return geometryFromConvInfo(backend_util.computeConv2DInfo(
    x.shape as Shape4, filter.shape as Shape4, attrs.strides, attrs.dilations, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast'));
}

export function backpropInputGeometry(filter: TensorInfo, attrs: Conv2DBackpropInputAttrs): ConvGeometry {
  return geometryFromConvInfo(backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast'));
}

export function backpropFilterGeometry(x: TensorInfo, attrs: Conv2DBackpropFilterAttrs): ConvGeometry {
  return geometryFromConvInfo(backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast'));
}

/** Runs the kernel that was registered before ours, for inputs outside the fast path. */
export function callFallback(fallback: KernelFunc | undefined, args: Parameters<KernelFunc>[0]): ReturnType<KernelFunc> {
  if (!fallback) throw new Error('fast conv kernels: only float32 NHWC convolutions are supported on this backend');
  return fallback(args);
}
