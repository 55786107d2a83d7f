// The wasm backend on several threads in Node (src/backends/wasm-threads.ts): the thread count
// setting, and that 2 threads give the same gradients as 1 and let the process exit by itself.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MAX_WASM_THREADS, wasmThreadCount } from '../src/backends/wasm-threads.ts';
import type { WasmSetup } from '../src/backends/index.ts';

const CHILD = fileURLToPath(new URL('./wasm-threads-child.ts', import.meta.url));

test('NIGHTSHIFT_WASM_THREADS sets the thread count (auto: the available cores); unset, one thread', () => {
  assert.equal(wasmThreadCount({}), 1);
  assert.equal(wasmThreadCount({ NIGHTSHIFT_WASM_THREADS: '' }), 1);
  assert.equal(wasmThreadCount({ NIGHTSHIFT_WASM_THREADS: 'auto' }), Math.min(availableParallelism(), MAX_WASM_THREADS));
  assert.equal(wasmThreadCount({ NIGHTSHIFT_WASM_THREADS: '3' }), 3);
  assert.equal(wasmThreadCount({ NIGHTSHIFT_WASM_THREADS: '64' }), MAX_WASM_THREADS);
  for (const bad of ['0', '-2', '1.5', 'two']) {
    assert.throws(() => wasmThreadCount({ NIGHTSHIFT_WASM_THREADS: bad }), /NIGHTSHIFT_WASM_THREADS must be a positive integer or auto.*"/);
  }
});

async function runChild(threads: string): Promise<{ setup: WasmSetup; grads: number[][] }> {
  const env = { ...process.env, NIGHTSHIFT_WASM_THREADS: threads };
  // A worker thread left holding the process open shows up as the timeout.
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], { env, timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { setup: WasmSetup; grads: number[][] };
}

test('2 threads: the threaded build runs, matches 1 thread exactly, and the process exits', async () => {
  const [one, two] = [await runChild('1'), await runChild('2')];
  assert.equal(one.setup.threadCount, 1);
  assert.equal(one.setup.threads, false);
  assert.match(one.setup.threadsNote, /single-threaded: NIGHTSHIFT_WASM_THREADS=1/);
  assert.equal(two.setup.threadCount, 2);
  assert.equal(two.setup.threads, true);
  assert.match(two.setup.threadsNote, /^2 threads: the threaded-SIMD build/);
  assert.equal(two.grads.length, 3);
  assert.ok(two.grads.every((g) => g.some((v) => v !== 0)), 'gradients are not all zero');
  assert.deepEqual(two.grads, one.grads);
});
