/**
 * The project's faster cpu/wasm convolution kernels (src/kernels) are loaded lazily and optionally:
 * a backend still works with the stock tfjs kernels if they cannot be loaded, and the selection
 * explanation says so.
 */
type FastKernelBackend = 'cpu' | 'wasm';

/** Registers src/kernels' kernels for the backend; returns a note for the explanation. */
export async function tryRegisterFastKernels(backend: FastKernelBackend): Promise<string> {
  try {
    const kernels = await import('../kernels/index.ts');
    kernels.registerFastKernels(backend);
    return 'project convolution kernels registered';
  } catch (e) {
    return `stock tfjs kernels (project kernels not loaded: ${(e as Error).message.split('\n')[0]})`;
  }
}
