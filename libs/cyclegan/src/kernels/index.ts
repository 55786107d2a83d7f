// Faster (cpu) and missing (wasm) convolution kernels for training with tfjs on a CPU, and a
// corrected MirrorPad gradient. Usage: for wasm, `await prepareWasm()` (src/backends) first, then
// registerFastKernels('wasm') (or 'cpu') and tf.setBackend.
export { registerFastKernels, unregisterFastKernels, hasFastKernels } from './register.ts';
export type { FastKernelBackend } from './register.ts';
export { registerMirrorPadGradient, mirrorPadBackward } from './mirror-pad-grad.ts';
