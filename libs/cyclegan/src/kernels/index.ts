// Faster (cpu) and missing (wasm) convolution kernels for training with tfjs on a CPU, and a
// corrected MirrorPad gradient. Usage: registerFastKernels('wasm') (or 'cpu'), then, for wasm in
// Node, useNodeWasmBinaries() before tf.setBackend('wasm').
export { registerFastKernels, unregisterFastKernels, hasFastKernels } from './register.ts';
export type { FastKernelBackend } from './register.ts';
export { registerMirrorPadGradient, mirrorPadBackward } from './mirror-pad-grad.ts';
export { useNodeWasmBinaries, wasmBinaryFolder } from './wasm-paths.ts';
