/**
 * WebGPU in Node: Dawn from the `webgpu` package provides navigator.gpu; tfjs-backend-webgpu registers
 * its backend only if navigator.gpu exists when it is first imported, so the order here matters.
 */
import { createRequire } from 'node:module';
import { installWebGpuDispatchFix } from './webgpu-dispatch.ts';

/** What the adapter says about itself, and the limits that decide whether a whole image fits. */
export interface WebGpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** A CPU implementation (Mesa lavapipe, SwiftShader, WARP): works, but slower than the wasm backend. */
  readonly software: boolean;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; description?: string; device?: string };
  readonly isFallbackAdapter?: boolean;
  readonly limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupsPerDimension: number };
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

let setup: Promise<WebGpuAdapterSummary> | undefined;

function navigatorGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu;
}

function installNavigatorGpu(): void {
  if (navigatorGpu()) return;
  const require = createRequire(import.meta.url);
  const dawn = require('webgpu') as DawnModule;
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

export function summariseAdapter(adapter: AdapterLike): WebGpuAdapterSummary {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description = info.description || info.device || '';
  const software = adapter.isFallbackAdapter === true || architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader|microsoft basic render/i.test(description);
  return {
    vendor, architecture, description, software,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
  };
}

/**
 * Makes the `webgpu` tfjs backend available: navigator.gpu from Dawn (unless the host already has
 * one), tfjs-backend-webgpu imported after it, and the large-dispatch fix installed. Rejects with the
 * reason when there is no adapter (no Vulkan/Metal/D3D12 driver). Safe to call more than once.
 */
export function prepareWebGpu(): Promise<WebGpuAdapterSummary> {
  setup ??= (async () => {
    installNavigatorGpu();
    const gpu = navigatorGpu();
    if (!gpu) throw new Error('navigator.gpu is not available after loading the webgpu package');
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter (Dawn found no Vulkan, Metal or D3D12 device; on Linux install libvulkan1 and a Vulkan driver)');
    await import('@tensorflow/tfjs-backend-webgpu');
    installWebGpuDispatchFix();
    return summariseAdapter(adapter);
  })();
  const p = setup;
  p.catch(() => { if (setup === p) setup = undefined; });
  return p;
}

/** The adapter summary once prepareWebGpu has succeeded, else undefined. */
export async function webGpuAdapter(): Promise<WebGpuAdapterSummary | undefined> {
  try {
    return setup ? await setup : undefined;
  } catch {
    return undefined;
  }
}
