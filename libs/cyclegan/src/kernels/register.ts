// The cpu backend is imported first so that its stock kernels are registered before ours replace
// them. The wasm backend is not imported here: importing it makes it TF.js's default backend, which
// only backends/prepareWasm (or the caller) may decide; registerFastKernels('wasm') needs it loaded.
import '@tensorflow/tfjs-backend-cpu';
import {
  Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, Identity, getKernel, registerKernel, unregisterKernel,
} from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { cpuConv2D, cpuConv2DBackpropFilter, cpuConv2DBackpropInput } from './cpu-conv.ts';
import { registerMirrorPadGradient } from './mirror-pad-grad.ts';
import { wasmConv2DBackpropFilter, wasmConv2DBackpropInput } from './wasm-conv.ts';
import { wasmIdentity } from './wasm-identity.ts';

export type FastKernelBackend = 'cpu' | 'wasm';

type KernelFactory = (fallback: KernelFunc | undefined) => KernelFunc;

// Which kernels each backend gets. wasm's Conv2D is already XNNPACK, so it keeps its own.
const FAST_KERNELS: Readonly<Record<FastKernelBackend, ReadonlyArray<readonly [string, KernelFactory]>>> = {
  cpu: [
    [Conv2D, cpuConv2D],
    [Conv2DBackpropInput, cpuConv2DBackpropInput],
    [Conv2DBackpropFilter, cpuConv2DBackpropFilter],
  ],
  wasm: [
    [Conv2DBackpropInput, wasmConv2DBackpropInput],
    [Conv2DBackpropFilter, wasmConv2DBackpropFilter],
    [Identity, wasmIdentity],
  ],
};

// The kernels that were registered before ours, per backend, so they can be put back.
const replaced = new Map<FastKernelBackend, Array<{ name: string; original: KernelConfig | undefined }>>();

/**
 * Registers the fast convolution kernels for `backendName` (replacing the slow or missing ones) and
 * the corrected MirrorPad gradient. Idempotent; works before or after the backend is initialised.
 */
export function registerFastKernels(backendName: FastKernelBackend): void {
  registerMirrorPadGradient();
  if (replaced.has(backendName)) return;
  if (!getKernel(Conv2D, backendName)) {
    // A backend imported after this call would overwrite our kernels with its own.
    throw new Error(`registerFastKernels('${backendName}'): the ${backendName} backend is not loaded yet; call prepareWasm() (or import @tensorflow/tfjs-backend-${backendName}) first`);
  }
  const saved: Array<{ name: string; original: KernelConfig | undefined }> = [];
  for (const [name, make] of FAST_KERNELS[backendName]) {
    const original = getKernel(name, backendName);
    if (original) unregisterKernel(name, backendName);
    registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: make(original?.kernelFunc),
      setupFunc: original?.setupFunc,
      disposeFunc: original?.disposeFunc,
    });
    saved.push({ name, original });
  }
  replaced.set(backendName, saved);
}

/** Puts back the kernels that registerFastKernels replaced (for comparisons against stock tfjs). */
export function unregisterFastKernels(backendName: FastKernelBackend): void {
  const saved = replaced.get(backendName);
  if (!saved) return;
  for (const { name, original } of saved) {
    unregisterKernel(name, backendName);
    if (original) registerKernel(original);
  }
  replaced.delete(backendName);
}

export function hasFastKernels(backendName: FastKernelBackend): boolean {
  return replaced.has(backendName);
}
