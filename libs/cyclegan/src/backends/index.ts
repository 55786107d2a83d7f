export {
  BACKEND_CANDIDATES, BACKEND_NAMES, BACKEND_REQUESTS, backendCandidate, parseBackendRequest,
} from './candidates.ts';
export type { BackendCandidate, BackendName, BackendPurpose, BackendRequest, PreparedBackend } from './candidates.ts';
export { probeBackend, selectBackend } from './select.ts';
export type { BackendSelection, SelectBackendOptions, SkippedBackend } from './select.ts';
export { TENSORFLOW_PACKAGES, loadTensorflow } from './tensorflow.ts';
export type { TensorflowLoad } from './tensorflow.ts';
export { prepareWasm, wasmBinaryFolder } from './wasm.ts';
export { tryRegisterFastKernels } from './fast-kernels.ts';
export type { WasmSetup } from './wasm.ts';
export { prepareWebGpu, summariseAdapter, webGpuAdapter } from './webgpu.ts';
export type { WebGpuAdapterSummary } from './webgpu.ts';
export {
  bandRows, installWebGpuDispatchFix, isWebGpuDispatchFixInstalled, uninstallWebGpuDispatchFix,
} from './webgpu-dispatch.ts';
