/**
 * ONNX Runtime execution providers this project can use, in one frozen table in priority order
 * (fastest first), in the style of transformers.js src/backends/onnx.js: the valid names, the
 * per-platform lists and the error messages are all derived from it; openOnnxSession opens a model
 * on the first that works. Nothing is printed; choices come back with their reasons for the caller
 * to show.
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import type { WebGpuAdapterSummary } from '../backends/webgpu.ts';
import { probeWebGpuAdapter } from '../backends/webgpu-probe.ts';

export type OnnxProviderName = 'cuda' | 'webgpu' | 'cpu';
export type OnnxProviderRequest = 'auto' | OnnxProviderName;

export interface OnnxProvider {
  readonly name: OnnxProviderName;
  /** The execution provider name ONNX Runtime knows it by. */
  readonly ep: string;
  /** process.platform/process.arch pairs onnxruntime-node ships it for. */
  readonly platforms: readonly string[];
  readonly summary: string;
  /** What to do when it is missing. */
  readonly howToGet: string;
}

export const ONNX_PROVIDERS: readonly OnnxProvider[] = Object.freeze([
  Object.freeze({
    name: 'cuda', ep: 'cuda', platforms: Object.freeze(['linux/x64', 'win32/x64']),
    summary: 'NVIDIA GPU through CUDA and cuDNN',
    howToGet: 'run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` (the package\'s onnxruntime-node-install=cuda12 setting: it downloads the CUDA provider from NuGet, which package.json\'s allowScripts keeps npm ci from doing); needs the CUDA 12 and cuDNN 9 runtime libraries',
  }),
  Object.freeze({
    name: 'webgpu', ep: 'webgpu', platforms: Object.freeze(['linux/x64', 'win32/x64', 'darwin/arm64', 'darwin/x64']),
    summary: 'any Vulkan/Metal/D3D12 GPU through Dawn (bundled in onnxruntime-node)',
    howToGet: 'needs a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver; on Debian: libvulkan1 plus the GPU vendor driver, or mesa-vulkan-drivers for a software adapter',
  }),
  Object.freeze({
    name: 'cpu', ep: 'cpu', platforms: Object.freeze(['linux/x64', 'linux/arm64', 'win32/x64', 'win32/arm64', 'darwin/arm64', 'darwin/x64']),
    summary: 'MLAS kernels on the CPU', howToGet: 'always bundled',
  }),
] as OnnxProvider[]);

export const ONNX_PROVIDER_NAMES: readonly OnnxProviderName[] = Object.freeze(ONNX_PROVIDERS.map((p) => p.name));
export const ONNX_PROVIDER_REQUESTS: readonly OnnxProviderRequest[] = Object.freeze(['auto', ...ONNX_PROVIDER_NAMES]);

/** Checks a user-supplied provider name; the error lists the valid choices. */
export function parseOnnxProvider(value: unknown): OnnxProviderRequest {
  if (typeof value === 'string' && (ONNX_PROVIDER_REQUESTS as readonly string[]).includes(value)) return value as OnnxProviderRequest;
  throw new TypeError(`Unsupported ONNX provider ${JSON.stringify(value)}. Should be one of: ${ONNX_PROVIDER_REQUESTS.join(', ')}.`);
}

export function onnxProvider(name: OnnxProviderName): OnnxProvider {
  return ONNX_PROVIDERS.find((p) => p.name === name)!;
}

/** The providers onnxruntime-node ships for a platform, in priority order. */
export function onnxProvidersFor(platform: string = process.platform, arch: string = process.arch): OnnxProviderName[] {
  return ONNX_PROVIDERS.filter((p) => p.platforms.includes(`${platform}/${arch}`)).map((p) => p.name);
}

/**
 * Whether this installation of onnxruntime-node can create sessions on a provider: undefined if it
 * can, else why not. Listing is not enough for CUDA (listed but not bundled: its library is
 * downloaded at install time, or not); creating a session is the final word (see OnnxTranslator).
 */
export function onnxProviderMissing(name: OnnxProviderName): string | undefined {
  const p = onnxProvider(name);
  if (!p.platforms.includes(`${process.platform}/${process.arch}`)) return `not shipped for ${process.platform}/${process.arch}`;
  const listed = ort.listSupportedBackends().find((b) => b.name === p.ep);
  if (!listed) return `this onnxruntime-node build has no ${p.ep} provider; ${p.howToGet}`;
  if (!listed.bundled && name === 'cuda' && !cudaLibraryPresent()) {
    return `the CUDA provider library is not installed (libonnxruntime_providers_cuda.so next to onnxruntime_binding.node); ${p.howToGet}`;
  }
  return undefined;
}

function cudaLibraryPresent(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const binding = require.resolve(`onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`);
    require.resolve(binding.replace(/onnxruntime_binding\.node$/, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
    return true;
  } catch {
    return false;
  }
}

/**
 * The WebGPU adapter the system offers (asked through the `webgpu` package's Dawn, in a child process,
 * which sees the same Vulkan/Metal/D3D12 drivers as ONNX Runtime's built-in Dawn), or why there is
 * none. Used to tell a software adapter (Mesa lavapipe: far slower than the CPU provider) from a real GPU.
 */
export function systemWebGpuAdapter(): Promise<WebGpuAdapterSummary | string> {
  return probeWebGpuAdapter();
}

export interface SkippedProvider {
  readonly name: OnnxProviderName;
  readonly why: string;
}

/** An ONNX Runtime session on the provider openOnnxSession chose, and why that one. */
export interface OpenedOnnxSession {
  readonly session: ort.InferenceSession;
  readonly provider: OnnxProviderName;
  /** Why this provider, in one sentence. */
  readonly reason: string;
  /** The providers tried before it ('auto') and why each was passed over. */
  readonly skipped: readonly SkippedProvider[];
}

/** Session options for a provider; `threads`: the CPU provider's intra-op pool (default: ONNX Runtime's choice). */
export function onnxSessionOptions(provider: OnnxProviderName, threads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
  };
}

async function createSession(bytes: Uint8Array, provider: OnnxProviderName, threads: number | undefined): Promise<ort.InferenceSession | string> {
  const missing = onnxProviderMissing(provider);
  if (missing) return missing;
  try {
    return await ort.InferenceSession.create(bytes, onnxSessionOptions(provider, threads));
  } catch (e) {
    return `session creation failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

/**
 * Opens a session for an ONNX model. A named provider that does not work throws an Error that says
 * why; 'auto' takes the first that works in priority order (cuda, then webgpu on a hardware adapter,
 * then cpu) and says in `reason` why it and not the others.
 */
export async function openOnnxSession(bytes: Uint8Array, request: OnnxProviderRequest, threads?: number): Promise<OpenedOnnxSession> {
  if (request !== 'auto') {
    const session = await createSession(bytes, request, threads);
    if (typeof session === 'string') throw new Error(`ONNX provider '${request}' is not usable: ${session}`);
    return { session, provider: request, reason: `requested explicitly (${onnxProvider(request).summary})`, skipped: Object.freeze([]) };
  }
  const skipped: SkippedProvider[] = [];
  for (const p of ONNX_PROVIDERS) {
    if (p.name === 'webgpu') {
      const adapter = await systemWebGpuAdapter();
      if (typeof adapter === 'string') { skipped.push({ name: p.name, why: adapter }); continue; }
      if (adapter.software) {
        skipped.push({ name: p.name, why: `software adapter (${adapter.description || adapter.vendor}): slower than the cpu provider` });
        continue;
      }
    }
    const session = await createSession(bytes, p.name, threads);
    if (typeof session === 'string') { skipped.push({ name: p.name, why: session }); continue; }
    const passedOver = skipped.map((s) => s.name);
    return {
      session, provider: p.name, skipped: Object.freeze(skipped),
      reason: `first provider that works here in priority order ${ONNX_PROVIDERS.map((q) => q.name).join(' > ')}: ${p.name} (${p.summary})` +
        (passedOver.length ? `; not ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}` : ''),
    };
  }
  throw new Error(`No ONNX Runtime provider works here: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}`);
}
