/**
 * tfjs-backend-wasm's multi-threaded SIMD build under Node, registered as the 'wasm' backend.
 *
 * tfjs 4.22 never picks that build in Node (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE,
 * tensorflow/tfjs#3830): its init hands Emscripten Blob URLs for the pthread worker script and for
 * the main script, which worker_threads cannot load. The Emscripten output itself runs pthreads on
 * Node workers, so this loads the same .js/.wasm with a data: URL worker and the glue's file path.
 * Two more fixes: tfjs caps the XNNPACK pool at emscripten_num_logical_cores() / 2 (1 on a 2-core
 * machine), so that import is answered with twice the wanted count; and the pool's threads wait for
 * work forever, so their workers are unref'd to let the process exit. Like Emscripten, this leaves
 * a global `Worker` (worker_threads' Worker, started without execArgv) in the process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { registerBackend, removeBackend } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');
type BackendWasmModule = ConstructorParameters<typeof BackendWasm>[0];
type ThreadedModule = BackendWasmModule & {
  PThread: { runningWorkers: Worker[]; unusedWorkers: Worker[] };
  cwrap(name: string, returns: 'number' | null, args: 'number'[]): (...args: number[]) => number;
};
/** The part of the WebAssembly JS API used here (the project's lib settings leave its types out). */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object; module: object }>;
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

interface FactoryConfig {
  locateFile(path: string): string | URL;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: { env: Record<string, unknown> },
    receive: (instance: object, module: object) => void,
  ): object;
  onAbort(what: unknown): void;
}
type ModuleFactory = (config: FactoryConfig) => Promise<ThreadedModule>;

/** tfjs-backend-wasm's own ceiling (max_num_threads; its build pre-creates 8 pthread workers). */
export const MAX_WASM_THREADS = 8;

/**
 * NIGHTSHIFT_WASM_THREADS if set (a positive integer, or "auto" for os.availableParallelism()), else 1;
 * at most 8. Threads are opt-in: on the 2-core development machine they made a training iteration
 * 1.8x slower (many small kernels, where the pool's hand-offs cost more than they save) and a 256x256
 * translation 1.28x faster, and one thread per process is what scales across queue workers.
 */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.NIGHTSHIFT_WASM_THREADS?.trim();
  if (!raw) return 1;
  if (raw === 'auto') return Math.min(availableParallelism(), MAX_WASM_THREADS);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`NIGHTSHIFT_WASM_THREADS must be a positive integer or auto (threads of the wasm backend), got "${raw}"`);
  }
  return Math.min(n, MAX_WASM_THREADS);
}

/**
 * The pthread worker as an ES module: the script is written for a CommonJS worker, so `require` and
 * `__filename` come first. It arrives as a template literal whose "\n" escapes became newlines
 * inside string literals; tfjs re-escapes them the same way before it makes its Blob.
 */
function workerUrl(contents: string, glue: string): URL {
  const prelude = `import { createRequire } from 'node:module';const require=createRequire(${JSON.stringify(glue)});` +
    `const __filename=${JSON.stringify(glue)};`;
  return new URL(`data:text/javascript,${encodeURIComponent(prelude + contents.replace(/\n/g, '\\n'))}`);
}

/**
 * Emscripten starts pthread workers with `new Worker(url)`. Without options a worker inherits
 * execArgv, so a loader such as tsx's --import starts in each of the 8 (seconds of start-up); the
 * workers run plain JavaScript and get none.
 */
class PthreadWorker extends Worker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, { execArgv: [], ...options });
  }
}

/** Runs the module factory with PthreadWorker as the global Worker, which it stays for later threads. */
function withPthreadWorker<T>(start: () => T): T {
  // The glue sets global.Worker = worker_threads.Worker, then creates its pool, all synchronously:
  // the no-op setter keeps PthreadWorker in place meanwhile.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
  try {
    return start();
  } finally {
    Object.defineProperty(globalThis, 'Worker', { configurable: true, writable: true, value: PthreadWorker });
  }
}

function loadModule(threads: number): Promise<ThreadedModule> {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const glue = join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(glue) as ModuleFactory;
  const { wasmWorkerContents } = require(join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as
    { wasmWorkerContents: string };
  const binary = readFileSync(join(pkg, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm'));
  const worker = workerUrl(wasmWorkerContents, glue);
  return new Promise((resolve, reject) => {
    const ready = withPthreadWorker(() => factory({
      locateFile: (path) => (path.endsWith('.worker.js') ? worker : join(pkg, 'dist', path)),
      mainScriptUrlOrBlob: glue,
      instantiateWasm: (imports, receive) => {
        imports.env.emscripten_num_logical_cores = () => 2 * threads;
        wasmApi.instantiate(binary, imports).then(({ instance, module }) => receive(instance, module), reject);
        return {};
      },
      onAbort: (what) => reject(new Error(`the threaded wasm module aborted: ${String(what)}`)),
    }));
    ready.then((m) => {
      // tfjs's init wraps these the same way (backend_wasm.js).
      m.tfjs = {
        init: m.cwrap('init', null, []),
        initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: m.cwrap('get_threads_count', 'number', []),
        registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: m.cwrap('dispose_data', null, ['number']),
        dispose: m.cwrap('dispose', null, []),
      };
      resolve(m);
    }, reject);
  });
}

async function createBackend(pkg: WasmPackage, threads: number): Promise<BackendWasm> {
  const m = await loadModule(threads);
  pkg.setThreadsCount(threads);
  const backend = new pkg.BackendWasm(m);
  for (const w of m.PThread.runningWorkers) w.unref();
  // Of the 8 pre-started workers only threads - 1 run XNNPACK's pool; the rest would idle.
  for (const w of m.PThread.unusedWorkers.splice(0)) void w.terminate();
  return backend;
}

/**
 * Starts the threaded build with `threads` threads (the caller's included) and makes it the 'wasm'
 * backend in place of tfjs's factory; resolves to the thread count XNNPACK reports. Call before the
 * wasm backend is first used. A later re-initialisation (after tf.removeBackend) starts a fresh module.
 */
export async function registerThreadedWasm(pkg: WasmPackage, threads: number): Promise<number> {
  let first: BackendWasm | undefined = await createBackend(pkg, threads);
  const count = pkg.getThreadsCount();
  removeBackend('wasm');
  registerBackend('wasm', async () => {
    const backend = first ?? (await createBackend(pkg, threads));
    first = undefined;
    return backend;
  }, 2);
  return count;
}
