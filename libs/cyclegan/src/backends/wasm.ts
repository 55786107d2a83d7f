/** The wasm backend in Node: binaries from the installed package, with threads where possible. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { engine, env } from '@tensorflow/tfjs-core';
import { registerThreadedWasm, wasmThreadCount } from './wasm-threads.ts';

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

/** Folder of tfjs-backend-wasm's .wasm binaries in this install, with a trailing slash. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

export interface WasmSetup {
  readonly simd: boolean;
  readonly threads: boolean;
  /** Threads XNNPACK runs on, the calling one included (1 when single-threaded). */
  readonly threadCount: number;
  /** Why threads are (not) used. */
  readonly threadsNote: string;
}

let setup: Promise<WasmSetup> | undefined;

/**
 * Imports tfjs-backend-wasm and points it at its .wasm files (call before setBackend('wasm'); later
 * calls return the first answer). In Node, where tfjs itself only runs the single-threaded build
 * (tensorflow/tfjs#3830), the multi-threaded SIMD build is started on worker_threads instead
 * (./wasm-threads.ts) when NIGHTSHIFT_WASM_THREADS asks for more than one thread (a positive integer
 * or auto, at most 8; unset or 1 keeps tfjs's single-threaded build). If it fails to start, the
 * single-threaded build is used and threadsNote says why.
 */
export function prepareWasm(): Promise<WasmSetup> {
  setup ??= prepare();
  return setup;
}

async function prepare(): Promise<WasmSetup> {
  const wasm: WasmModule = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmBinaryFolder());
  const simd = Boolean(await env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  if (!env().getBool('IS_NODE')) {
    const threads = Boolean(await env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    const threadsNote = threads ? 'multi-threaded build' : 'single-threaded: no SharedArrayBuffer/threads support here';
    return { simd, threads, threadCount: threads ? -1 : 1, threadsNote };
  }
  const single = (why: string): WasmSetup => ({ simd, threads: false, threadCount: 1, threadsNote: `single-threaded: ${why}` });
  const wanted = wasmThreadCount();
  if (wanted === 1) {
    return single(process.env.NIGHTSHIFT_WASM_THREADS?.trim() ? `NIGHTSHIFT_WASM_THREADS=${process.env.NIGHTSHIFT_WASM_THREADS.trim()}` : 'the default (NIGHTSHIFT_WASM_THREADS=n or auto starts the threaded build)');
  }
  if (!simd) return single('the threaded build needs WebAssembly SIMD, which this runtime lacks');
  if (engine().registry.wasm) return single('the wasm backend was started before prepareWasm()');
  try {
    const threadCount = await registerThreadedWasm(wasm, wanted);
    return {
      simd, threads: threadCount > 1, threadCount,
      threadsNote: `${threadCount} threads: the threaded-SIMD build on Node worker_threads (NIGHTSHIFT_WASM_THREADS sets the count)`,
    };
  } catch (e) {
    return single(`the threaded build failed to start (${e instanceof Error ? e.message : String(e)})`);
  }
}
