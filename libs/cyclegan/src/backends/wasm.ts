/** The wasm backend in Node: binaries from the installed package, threads where tfjs allows them. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { env } from '@tensorflow/tfjs-core';

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

/** Folder of tfjs-backend-wasm's .wasm binaries in this install, with a trailing slash. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

export interface WasmSetup {
  readonly simd: boolean;
  readonly threads: boolean;
  /** Why threads are (not) used. */
  readonly threadsNote: string;
}

let imported: Promise<WasmModule> | undefined;

/**
 * Imports tfjs-backend-wasm and points it at its .wasm files (call before setBackend('wasm')).
 * tfjs 4.22 turns multi-threading off under Node (WASM_HAS_MULTITHREAD_SUPPORT is false when
 * IS_NODE, tensorflow/tfjs#3830) and its pthread workers cannot start from files there, so Node gets
 * the single-threaded SIMD build; setThreadsCount would have no effect.
 */
export async function prepareWasm(): Promise<WasmSetup> {
  imported ??= import('@tensorflow/tfjs-backend-wasm');
  const wasm = await imported;
  wasm.setWasmPaths(wasmBinaryFolder());
  const simd = Boolean(await env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = Boolean(await env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const threadsNote = threads
    ? 'multi-threaded build'
    : env().getBool('IS_NODE')
      ? 'single-threaded: tfjs-backend-wasm disables threads under Node (tensorflow/tfjs#3830)'
      : 'single-threaded: no SharedArrayBuffer/threads support here';
  return { simd, threads, threadsNote };
}
