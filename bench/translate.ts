/**
 * Generator forward timings: tfjs on each available backend against PyTorch in the same job.
 *   node --import tsx bench/translate.ts [--ngf 64] [--blocks 9] [--iters 3] [--backends webgpu,wasm,cpu]
 *        [--sizes 1x256x256,8x256x256,1x512x1024,1x1024x2048] [--all] [--torch cpu|cuda|none]
 * Random weights; median after one warm-up; output read back to the host. CPU-class backends skip
 * sizes above their cap unless --all (cpu: 37 s for one 128x128 image, BASELINE.md).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, webGpuAdapter, type BackendName } from '../libs/cyclegan/src/backends/index.ts';
import { ResnetGenerator } from '../libs/cyclegan/src/networks/resnet-generator.ts';
import { generatorBenchOptions } from './lib/options.ts';

const { ngf, blocks, iters, sizes, values } = generatorBenchOptions('1x256x256,8x256x256,1x512x1024,1x1024x2048', {
  all: { type: 'boolean', default: false },
  backends: { type: 'string', default: 'tensorflow,webgpu,wasm,cpu' },
  torch: { type: 'string', default: 'cpu' },
});
const all = Boolean(values.all);
const backends = String(values.backends).split(',') as BackendName[];
const torchDevice = String(values.torch);

/** Most pixels (batch x H x W) a backend is timed on without --all. */
const CAP: Record<string, number> = { cpu: 0, wasm: 256 * 256, 'webgpu-software': 256 * 256 };

interface Row { engine: string; size: string; ms: number | undefined; note: string }
const rows: Row[] = [];
const key = (b: number, h: number, w: number): string => `${b}x${h}x${w}`;

for (const name of backends) {
  let selection;
  try {
    selection = await selectBackend(name);
  } catch (e) {
    rows.push({ engine: `tfjs ${name}`, size: '-', ms: undefined, note: (e as Error).message });
    continue;
  }
  const software = name === 'webgpu' && (await webGpuAdapter())?.software;
  const cap = all ? Infinity : CAP[software ? 'webgpu-software' : name] ?? Infinity;
  const g = new ResnetGenerator({ ngf, nBlocks: blocks }, { seed: 0 });
  for (const [b, h, w] of sizes) {
    if (b * h * w > cap) {
      rows.push({ engine: `tfjs ${name}`, size: key(b, h, w), ms: undefined, note: `skipped: over the ${cap} pixel cap for this backend (--all to run)` });
      continue;
    }
    const x = tf.randomUniform([b, h, w, 3], -1, 1) as tf.Tensor4D;
    const times: number[] = [];
    let note = selection.detail;
    try {
      for (let i = 0; i <= iters; i++) {
        const t0 = performance.now();
        const y = g.apply(x);
        await y.data();
        y.dispose();
        if (i > 0) times.push(performance.now() - t0);
      }
    } catch (e) {
      note = `failed: ${(e as Error).message.split('\n')[0]}`;
    }
    x.dispose();
    times.sort((p, q) => p - q);
    rows.push({ engine: `tfjs ${name}`, size: key(b, h, w), ms: times.length ? times[times.length >> 1] : undefined, note });
  }
  g.dispose();
}

if (torchDevice !== 'none') {
  const script = fileURLToPath(new URL('./torch_forward.py', import.meta.url));
  const torchSizes = sizes.filter(([b, h, w]) => all || torchDevice === 'cuda' || b * h * w <= 8 * 256 * 256);
  try {
    const out = execFileSync('/usr/bin/python3', [script, torchDevice, String(ngf), String(blocks), String(iters), ...torchSizes.map(([b, h, w]) => `${b}:${h}:${w}`)], { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const r = JSON.parse(line) as { engine: string; B: number; H: number; W: number; median_ms: number };
      rows.push({ engine: r.engine, size: key(r.B, r.H, r.W), ms: r.median_ms, note: '' });
    }
  } catch (e) {
    rows.push({ engine: 'torch', size: '-', ms: undefined, note: `failed: ${(e as Error).message.split('\n')[0]}` });
  }
}

const torchMs = new Map(rows.filter((r) => r.engine.startsWith('torch') && r.ms !== undefined).map((r) => [r.size, r.ms!]));
console.log(`G forward, ngf ${ngf}, ${blocks} blocks, random weights, median of ${iters} after warm-up (ms; ratio = time / torch time)`);
console.log('| engine | batch x H x W | ms | img/s | x torch | note |\n|---|---|---|---|---|---|');
for (const r of rows) {
  const b = Number(r.size.split('x')[0]) || 1;
  const t = torchMs.get(r.size);
  const ratio = r.ms !== undefined && t !== undefined ? (r.ms / t).toFixed(2) : '';
  console.log(`| ${r.engine} | ${r.size} | ${r.ms?.toFixed(1) ?? ''} | ${r.ms ? ((1000 * b) / r.ms).toFixed(2) : ''} | ${ratio} | ${r.note} |`);
}
process.exit(0);
