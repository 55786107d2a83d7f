/**
 * The TF.js backends this project can run on, in priority order (fastest first on typical hardware),
 * each with how to make it available in Node. One frozen table, in the style of transformers.js
 * src/backends/onnx.js: every lookup and the list of valid names are derived from it.
 */
import { getKernel } from '@tensorflow/tfjs-core';
import { tryRegisterFastKernels } from './fast-kernels.ts';
import { loadTensorflow } from './tensorflow.ts';
import { prepareWasm } from './wasm.ts';
import { prepareWebGpu } from './webgpu.ts';
import { probeWebGpuAdapter } from './webgpu-probe.ts';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
/** Inference needs forward kernels only; training also needs the convolution gradients. */
export type BackendPurpose = 'inference' | 'training';

/** What a prepared backend says about itself. */
export interface PreparedBackend {
  /** One line for explanations, e.g. the GPU adapter or the wasm build. */
  readonly detail: string;
  /** Set when the backend works but should rank below the CPU backends for this purpose. */
  readonly demoteBelow?: { readonly name: BackendName; readonly why: string };
  /** The rest of the set-up, run only when the backend is activated (webgpu: Dawn in this process). */
  readonly load?: () => Promise<unknown>;
}

export interface BackendCandidate {
  readonly name: BackendName;
  /** The npm packages it comes from. */
  readonly packages: readonly string[];
  readonly summary: string;
  /** Makes the backend registrable; rejects (with the reason) when it cannot exist here. */
  readonly prepare: (purpose: BackendPurpose) => Promise<PreparedBackend>;
}

async function prepareTensorflow(): Promise<PreparedBackend> {
  const loaded = await loadTensorflow();
  if (!loaded.package) throw new Error(`optional dependency absent (${loaded.failures.join('; ')})`);
  return { detail: `libtensorflow via ${loaded.package}` };
}

async function prepareWebGpuCandidate(purpose: BackendPurpose): Promise<PreparedBackend> {
  // The adapter is looked at in a child process; Dawn starts here only if webgpu is activated.
  const a = await probeWebGpuAdapter();
  if (typeof a === 'string') throw new Error(a);
  const adapter = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const detail = `${adapter}${a.software ? ' (software adapter)' : ''}, Dawn`;
  // A software adapter (Mesa lavapipe) runs the generator about 5x slower than XNNPACK in wasm
  // (bench/BASELINE: 7.6 s vs 1.34 s at 128x128), and trains about 13x slower than wasm with our
  // fast kernels (bench/pix2pix-vs-cyclegan, CycleGAN ngf 8: 10.9 s vs 0.82 s per iteration).
  return a.software
    ? { detail, load: prepareWebGpu, demoteBelow: { name: 'wasm', why: `software adapter (${adapter}): slower than wasm for ${purpose}` } }
    : { detail, load: prepareWebGpu };
}

async function prepareWasmCandidate(purpose: BackendPurpose): Promise<PreparedBackend> {
  const w = await prepareWasm();
  const kernels = await tryRegisterFastKernels('wasm');
  if (purpose === 'training' && !getKernel('Conv2DBackpropFilter', 'wasm')) {
    throw new Error('no Conv2DBackpropFilter kernel for wasm: it cannot train');
  }
  return { detail: `${w.simd ? 'SIMD' : 'no SIMD'}, ${w.threadsNote}; ${kernels}` };
}

async function prepareCpu(): Promise<PreparedBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  return { detail: `JavaScript kernels; ${await tryRegisterFastKernels('cpu')}` };
}

export const BACKEND_CANDIDATES: readonly BackendCandidate[] = Object.freeze([
  Object.freeze({
    name: 'tensorflow', packages: Object.freeze(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']),
    summary: 'libtensorflow (CUDA with tfjs-node-gpu)', prepare: prepareTensorflow,
  }),
  Object.freeze({
    name: 'webgpu', packages: Object.freeze(['@tensorflow/tfjs-backend-webgpu', 'webgpu']),
    summary: 'any Vulkan/Metal/D3D12 GPU through Dawn', prepare: prepareWebGpuCandidate,
  }),
  Object.freeze({
    name: 'wasm', packages: Object.freeze(['@tensorflow/tfjs-backend-wasm']),
    summary: 'XNNPACK on the CPU', prepare: prepareWasmCandidate,
  }),
  Object.freeze({
    name: 'cpu', packages: Object.freeze(['@tensorflow/tfjs-backend-cpu']),
    summary: 'JavaScript fallback', prepare: prepareCpu,
  }),
] as BackendCandidate[]);

/** Backend names in priority order. */
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze(BACKEND_CANDIDATES.map((c) => c.name));
/** Every value `selectBackend` accepts. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = Object.freeze(['auto', ...BACKEND_NAMES]);

/** Checks a user-supplied backend name; the error lists the valid choices. */
export function parseBackendRequest(value: unknown): BackendRequest {
  if (typeof value === 'string' && (BACKEND_REQUESTS as readonly string[]).includes(value)) return value as BackendRequest;
  throw new TypeError(
    `Unsupported backend ${JSON.stringify(value)}. Should be one of: ${BACKEND_REQUESTS.join(', ')}.`,
  );
}

export function backendCandidate(name: BackendName): BackendCandidate {
  return BACKEND_CANDIDATES.find((c) => c.name === name)!;
}
