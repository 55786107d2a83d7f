export { registerFastKernels, unregisterFastKernels, hasFastKernels } from './register.ts';
export type { FastKernelBackend } from './register.ts';
export { registerMirrorPadGradient, mirrorPadBackward } from './mirror-pad-grad.ts';
export { useNodeWasmBinaries, wasmBinaryFolder } from './wasm-paths.ts';
