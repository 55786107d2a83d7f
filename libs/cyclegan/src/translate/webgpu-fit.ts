// Whether whole ResNet-generator images fit WebGPU's buffer limits, for both engines' execution plans.
import type { ExecutionPlan } from './translator.ts';

export interface WebGpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * Whole images of padded size w x h on a WebGPU device: every activation must fit one storage buffer
 * binding. ngf channels of (h + 6) x (w + 6) float32 bound them all (the stem's reflect padding; the
 * 'valid' transposed convolution's output, (h + 1) x (w + 1) at ngf channels, is smaller). Returns the
 * tiled plan when one image does not fit, else the whole plan with the batch cut to what fits.
 */
export function fitWebGpu(ngf: number, w: number, h: number, batch: number, limits: WebGpuLimits): ExecutionPlan {
  const perImage = 4 * ngf * (h + 6) * (w + 6);
  const bindable = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (perImage > bindable) {
    return { mode: 'tiled', batch: 1, why: `a ${w}x${h} activation (${perImage} bytes) exceeds the WebGPU buffer binding limit (${bindable})` };
  }
  return { mode: 'whole', batch: Math.max(1, Math.min(batch, Math.floor(bindable / perImage))), why: 'fits' };
}
