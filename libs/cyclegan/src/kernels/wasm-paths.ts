import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Folder holding tfjs-backend-wasm's .wasm binaries in this install (with a trailing slash). */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

let pathsSet = false;

/**
 * Points tfjs-backend-wasm at its binaries on disk, as Node needs (call before setBackend('wasm')).
 * In Node it loads the single-threaded SIMD binary: tfjs 4.22 reports no thread support there
 * (tensorflow/tfjs#3830), and forcing it fails because the pthread workers are blob: URLs.
 */
export function useNodeWasmBinaries(): void {
  if (pathsSet) return;
  setWasmPaths(wasmBinaryFolder());
  pathsSet = true;
}
