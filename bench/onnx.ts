/**
 * CPU generator forward: ONNX Runtime (our export, CPU provider) against tfjs-wasm and PyTorch CPU,
 * in the same job, PyTorch and ONNX interleaved run by run so that background load hits both alike.
 *   node --import tsx bench/onnx.ts [--ngf 64] [--blocks 9] [--iters 3] [--sizes 1x256x256,1x1024x2048]
 *        [--wasm-max-pixels 65536] [--fp16] [--no-torch] [--tile 512] [--only onnx|onnx-tiled|wasm-tiled] [--no-warmup]
 * Random weights (seed 0); median after one warm-up; output read back to the host. tfjs-wasm is slow
 * (BASELINE: 6.8 s at 256x256) and runs only up to --wasm-max-pixels per batch.
 * --tile <px> adds tiled rows (translate/tile-driver.ts): onnxruntime CPU per-step sessions and
 * tfjs-wasm, both one image at a time. --only runs one of onnx (whole, fp32), onnx-tiled, wasm-tiled
 * (with --no-torch), so that the `peak RSS` column (the process's maxRSS) belongs to that row alone.
 * On a shared machine the numbers are noisy: compare ratios from one run, not absolute times.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../libs/cyclegan/src/backends/index.ts';
import { ResnetGenerator } from '../libs/cyclegan/src/networks/resnet-generator.ts';
import { exportGeneratorOnnx, inspectGeneratorOnnx } from '../libs/cyclegan/src/onnx/index.ts';
import { OnnxTileBackend } from '../libs/cyclegan/src/onnx/tile-sessions.ts';
import { applyTiled, runPlanTiled } from '../libs/cyclegan/src/translate/index.ts';
import { generatorBenchOptions } from './lib/options.ts';

const { ngf, blocks, iters, sizes, values } = generatorBenchOptions('1x256x256,1x1024x2048', {
  'wasm-max-pixels': { type: 'string', default: String(256 * 256) },
  'no-torch': { type: 'boolean', default: false },
  fp16: { type: 'boolean', default: false },
  tile: { type: 'string', default: '' },
  only: { type: 'string', default: '' },
  'no-warmup': { type: 'boolean', default: false },
});
const wasmMaxPixels = Number(values['wasm-max-pixels']);
const withTorch = !values['no-torch'];
const withFp16 = Boolean(values.fp16);
const tileSize = values.tile ? Number(values.tile) : undefined;
const only = String(values.only || '');
if (only && !['onnx', 'onnx-tiled', 'wasm-tiled'].includes(only)) throw new Error(`--only must be onnx, onnx-tiled or wasm-tiled, not ${only}`);
if (only.endsWith('tiled') && tileSize === undefined) throw new Error(`--only ${only} needs --tile <px>`);
const warmups = values['no-warmup'] ? 0 : 1;
const peakRss = (): string => `${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`;

// A persistent PyTorch process (architecture as bench/torch_forward.py): one forward per request line.
const TORCH_WORKER = `
import json, os, sys, time, torch, torch.nn as nn
class RB(nn.Module):
    def __init__(s, d):
        super().__init__()
        s.b = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(d, d, 3), nn.InstanceNorm2d(d), nn.ReLU(True),
                            nn.ReflectionPad2d(1), nn.Conv2d(d, d, 3), nn.InstanceNorm2d(d))
    def forward(s, x): return x + s.b(x)
def G(ngf, nb):
    L = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
    for i in range(2):
        m = 2 ** i; L += [nn.Conv2d(ngf * m, ngf * m * 2, 3, 2, 1), nn.InstanceNorm2d(ngf * m * 2), nn.ReLU(True)]
    L += [RB(ngf * 4) for _ in range(nb)]
    for i in range(2):
        m = 2 ** (2 - i); L += [nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, 2, 1, 1), nn.InstanceNorm2d(ngf * m // 2), nn.ReLU(True)]
    L += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
    return nn.Sequential(*L)
torch.set_num_threads(os.cpu_count() or 1)
g = G(int(sys.argv[1]), int(sys.argv[2])).eval()
print(json.dumps({'engine': 'PyTorch %s CPU (%d threads)' % (torch.__version__, torch.get_num_threads())}), flush=True)
for line in sys.stdin:
    b, h, w = map(int, line.split())
    x = torch.rand(b, 3, h, w) * 2 - 1
    with torch.no_grad():
        t0 = time.perf_counter(); y = g(x); y.numpy(); t1 = time.perf_counter()
    print(json.dumps({'ms': (t1 - t0) * 1000}), flush=True)
`;

class TorchWorker {
  private readonly proc = spawn('/usr/bin/python3', ['-c', TORCH_WORKER, String(ngf), String(blocks)], { stdio: ['pipe', 'pipe', 'inherit'] });
  private readonly lines = createInterface({ input: this.proc.stdout! })[Symbol.asyncIterator]();
  name = 'PyTorch CPU';

  async start(): Promise<void> {
    this.name = (JSON.parse((await this.lines.next()).value as string) as { engine: string }).engine;
  }

  async forward(b: number, h: number, w: number): Promise<number> {
    this.proc.stdin!.write(`${b} ${h} ${w}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('the PyTorch worker exited');
    return (JSON.parse(next.value as string) as { ms: number }).ms;
  }

  stop(): void {
    this.proc.stdin!.end();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

await selectBackend('wasm');
const generator = new ResnetGenerator({ ngf, nBlocks: blocks }, { seed: 0 });
const onnxBytes = await exportGeneratorOnnx(generator);
const onnxSessions: Array<[string, ort.InferenceSession]> = only && only !== 'onnx' ? [] : [
  [`onnxruntime-node ${ort.env.versions.node} CPU fp32`, await ort.InferenceSession.create(onnxBytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' })],
];
if (withFp16 && !only) {
  onnxSessions.push([`onnxruntime-node ${ort.env.versions.node} CPU fp16`, await ort.InferenceSession.create(await exportGeneratorOnnx(generator, { precision: 'fp16' }), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' })]);
}
const torch = withTorch ? new TorchWorker() : undefined;
await torch?.start();

interface Row { engine: string; size: string; ms: number | undefined; note: string; rss?: string }
const rows: Row[] = [];
const tiledOnnx = tileSize !== undefined && (!only || only === 'onnx-tiled')
  ? (() => {
    const m = inspectGeneratorOnnx(onnxBytes, 'bench model');
    return new OnnxTileBackend(m.architecture!, m.stateDict!, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  })()
  : undefined;

/** Times `run` (one batch) warm-up + iters times; per-image tiled runs. */
async function timeTiled(engine: string, size: string, n: number, run: () => Promise<void>): Promise<void> {
  const ts: number[] = [];
  for (let i = 0; i < warmups + n; i++) {
    const t0 = performance.now();
    await run();
    if (i >= warmups) ts.push(performance.now() - t0);
  }
  rows.push({ engine, size, ms: median(ts), note: `${ts.length} runs${warmups ? ' after a warm-up' : ' (first includes session creation)'}: ${ts.map((t) => t.toFixed(0)).join(', ')} ms`, rss: peakRss() });
}
for (const [b, h, w] of sizes) {
  const size = `${b}x${h}x${w}`;
  const x = Float32Array.from({ length: b * 3 * h * w }, () => Math.random() * 2 - 1);
  const times = new Map<string, number[]>();
  const record = (engine: string, ms: number, i: number): void => {
    if (i >= warmups) times.set(engine, [...(times.get(engine) ?? []), ms]);
  };
  for (let i = 0; i < warmups + iters && (onnxSessions.length || torch); i++) {
    // Interleaved: one run of each engine per round.
    for (const [name, session] of onnxSessions) {
      const t0 = performance.now();
      const r = await session.run({ input: new ort.Tensor('float32', x, [b, 3, h, w]) });
      (r.output.data as Float32Array).at(-1);
      record(name, performance.now() - t0, i);
      r.output.dispose();
    }
    if (torch) record(torch.name, await torch.forward(b, h, w), i);
  }
  for (const [engine, ts] of times) rows.push({ engine, size, ms: median(ts), note: `${ts.length} runs: ${ts.map((t) => t.toFixed(0)).join(', ')} ms`, rss: peakRss() });

  if (tileSize !== undefined) {
    const images = Array.from({ length: b }, () => ({ height: h, width: w, channels: 3, data: Float32Array.from({ length: h * w * 3 }, () => Math.random() * 2 - 1) }));
    if (tiledOnnx) {
      await timeTiled(`onnxruntime-node CPU tiled ${tileSize}`, size, Math.min(iters, 2), async () => {
        for (const im of images) await runPlanTiled(tiledOnnx.plan, tiledOnnx, im, { tileSize });
      });
    }
    if (!only || only === 'wasm-tiled') {
      await timeTiled(`tfjs 4.22 wasm tiled ${tileSize}`, size, Math.min(iters, 1), async () => {
        for (const im of images) await applyTiled(generator, im, { tileSize });
      });
    }
  }
  const wasmName = 'tfjs 4.22 wasm';
  if (only) {
    // --only: that row alone.
  } else if (b * h * w > wasmMaxPixels) {
    rows.push({ engine: wasmName, size, ms: undefined, note: `skipped: over --wasm-max-pixels ${wasmMaxPixels}` });
  } else {
    const xt = tf.tensor4d(Float32Array.from({ length: b * h * w * 3 }, () => Math.random() * 2 - 1), [b, h, w, 3]);
    const ts: number[] = [];
    for (let i = 0; i <= Math.min(iters, 2); i++) {
      const t0 = performance.now();
      const y = generator.apply(xt);
      await y.data();
      y.dispose();
      if (i > 0) ts.push(performance.now() - t0);
    }
    xt.dispose();
    rows.push({ engine: wasmName, size, ms: median(ts), note: `${ts.length} runs, not interleaved` });
  }
}
torch?.stop();

const base = (size: string): number | undefined => rows.find((r) => r.size === size && r.engine.startsWith('PyTorch'))?.ms;
await tiledOnnx?.release();
const os = await import('node:os');
console.log(`ResnetGenerator ngf ${ngf}, ${blocks} blocks, random weights; ${iters} timed runs after ${warmups} warm-up; machine: ${os.cpus().length} CPUs, shared (noisy), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| engine | size (BxHxW) | median ms | images/s | PyTorch time / this | peak RSS (process, so far) | note |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const t = base(r.size);
  const ratio = r.ms !== undefined && t !== undefined ? (t / r.ms).toFixed(2) : '';
  const ips = r.ms !== undefined ? ((Number(r.size.split('x')[0]) * 1000) / r.ms).toFixed(3) : '';
  console.log(`| ${r.engine} | ${r.size} | ${r.ms?.toFixed(1) ?? '-'} | ${ips} | ${ratio} | ${r.rss ?? ''} | ${r.note} |`);
}
