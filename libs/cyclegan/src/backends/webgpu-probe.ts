/**
 * The system's WebGPU adapter, asked for in a child process. Dawn writes its Vulkan diagnostics
 * ("vkCreateInstance: Found no drivers!" without a Vulkan driver, lavapipe's "artificially reduced"
 * limits) from native code straight to the process's stderr; in a child they are captured and
 * dropped. Engine and backend choices ask here first, so Dawn starts in this process only when the
 * webgpu backend or provider is actually run.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { summariseAdapter, type WebGpuAdapterSummary } from './webgpu.ts';

/** Runs in the child: argv[1] is the `webgpu` package's entry; prints the adapter's info and limits as JSON. */
const CHILD = `
const dawn = require(process.argv[1]);
const done = (value) => { process.stdout.write(JSON.stringify(value)); process.exit(0); };
dawn.create([]).requestAdapter({ powerPreference: 'high-performance' }).then((a) => done(a && {
  info: a.info && { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, device: a.info.device },
  isFallbackAdapter: a.isFallbackAdapter,
  limits: { maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize, maxBufferSize: a.limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: a.limits.maxComputeWorkgroupsPerDimension },
}), (e) => done({ error: String((e && e.message) || e) }));
`;

/** A child that has not answered by then is taken as "no adapter". */
const PROBE_TIMEOUT_MS = 30_000;

export const NO_WEBGPU_ADAPTER = 'no WebGPU adapter (no Vulkan, Metal or D3D12 device)';

let probe: Promise<WebGpuAdapterSummary | string> | undefined;

function queryInChild(): Promise<WebGpuAdapterSummary | string> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('webgpu');
  } catch (e) {
    return Promise.resolve(`cannot query WebGPU adapters: ${(e as Error).message.split('\n')[0]}`);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', CHILD, entry], { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) => {
      if (error && !stdout) {
        resolve(`cannot query WebGPU adapters: ${error.killed ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : error.message.split('\n')[0]}`);
        return;
      }
      try {
        const answer = JSON.parse(stdout) as Parameters<typeof summariseAdapter>[0] | { error: string } | null;
        if (answer === null) resolve(NO_WEBGPU_ADAPTER);
        else if ('error' in answer) resolve(`cannot query WebGPU adapters: ${answer.error}`);
        else resolve(summariseAdapter(answer));
      } catch {
        resolve(`cannot query WebGPU adapters: unreadable answer ${JSON.stringify(stdout.slice(0, 80))}`);
      }
    });
  });
}

/**
 * The adapter Dawn would pick here (high-performance preference), or why there is none. Asked once
 * per process, in a child process, so nothing Dawn prints reaches this one.
 */
export function probeWebGpuAdapter(): Promise<WebGpuAdapterSummary | string> {
  probe ??= queryInChild();
  return probe;
}
