// Training speed of tfjs on the CPU with and without the fast kernels of libs/cyclegan/src/kernels,
// against PyTorch CPU on the same work. Run: node --import tsx bench/train-kernels.ts [options]
//   --iters N          timed iterations per measurement on wasm (median reported; default 3, after 1 warm-up)
//   --cpu-iters N      the same for the cpu backend with fast kernels (default 1: a full iteration takes ~30 s)
//   --skip-original    skip stock tfjs-cpu (its G step alone takes about two minutes)
//   --only-wasm        run only tfjs wasm-fast and wasm-fast-1t (and PyTorch)
//   --profile          also print a per-kernel profile of one full iteration on each fast backend
//   --ngf N --blocks N --size N   network width, ResNet blocks and image size (default 16, 6, 128)
// Every configuration runs in its own child process; PyTorch runs bench/torch_cpu_train.py.
// wasm-fast runs the threaded build (NIGHTSHIFT_WASM_THREADS=auto: every core, unless the caller set a count);
// wasm-fast-1t is the same with NIGHTSHIFT_WASM_THREADS=1 (tfjs's single-threaded build, the default).
// The networks here are a compact copy of the CycleGAN ResNet generator and PatchGAN written with
// plain tf ops, for this benchmark only (the real ones live in libs/cyclegan/src/networks).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels } from '../libs/cyclegan/src/kernels/index.ts';
import { prepareWasm } from '../libs/cyclegan/src/backends/index.ts';

interface Options { iters: number; cpuIters: number; skipOriginal: boolean; onlyWasm: boolean; profile: boolean; ngf: number; blocks: number; size: number }

function parseOptions(argv: string[]): Options & { worker?: string } {
  const o: Options & { worker?: string } = { iters: 3, cpuIters: 1, skipOriginal: false, onlyWasm: false, profile: false, ngf: 16, blocks: 6, size: 128 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--iters') o.iters = Number(argv[++i]);
    else if (a === '--cpu-iters') o.cpuIters = Number(argv[++i]);
    else if (a === '--skip-original') o.skipOriginal = true;
    else if (a === '--only-wasm') o.onlyWasm = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--ngf') o.ngf = Number(argv[++i]);
    else if (a === '--blocks') o.blocks = Number(argv[++i]);
    else if (a === '--size') o.size = Number(argv[++i]);
    else if (a === '--worker') o.worker = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------- networks (plain tf ops)

type T4 = tf.Tensor4D;
const PAD1: backend_util.ExplicitPadding = [[0, 0], [1, 1], [1, 1], [0, 0]];

class Params {
  readonly vars: tf.Variable[] = [];
  conv(k: number, cin: number, cout: number): { w: tf.Variable; b: tf.Variable } {
    return { w: this.add(tf.randomNormal([k, k, cin, cout], 0, 0.02)), b: this.add(tf.zeros([cout])) };
  }
  convTranspose(k: number, cin: number, cout: number): { w: tf.Variable; b: tf.Variable } {
    return { w: this.add(tf.randomNormal([k, k, cout, cin], 0, 0.02)), b: this.add(tf.zeros([cout])) };
  }
  private add(t: tf.Tensor): tf.Variable {
    const v = tf.variable(t);
    t.dispose();
    this.vars.push(v);
    return v;
  }
}

function instanceNorm(x: T4): T4 {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

function conv(x: T4, p: { w: tf.Variable; b: tf.Variable }, stride: number, pad: 'valid' | backend_util.ExplicitPadding): T4 {
  return tf.add(tf.conv2d(x, p.w as tf.Tensor4D, stride, pad), p.b);
}

function reflect(x: T4, n: number): T4 {
  return tf.mirrorPad(x, [[0, 0], [n, n], [n, n], [0, 0]], 'reflect');
}

/** PyTorch ConvTranspose2d(k3, s2, padding 1, output_padding 1): valid transposed conv, then crop. */
function upsample(x: T4, p: { w: tf.Variable; b: tf.Variable }): T4 {
  const [n, h, w] = x.shape;
  const cout = p.w.shape[2] as number;
  const y = tf.conv2dTranspose(x, p.w as tf.Tensor4D, [n, 2 * h + 1, 2 * w + 1, cout], 2, 'valid');
  return tf.add(tf.slice(y, [0, 1, 1, 0], [n, 2 * h, 2 * w, cout]), p.b);
}

function resnetGenerator(params: Params, ngf: number, blocks: number): (x: T4) => T4 {
  const inConv = params.conv(7, 3, ngf);
  const down = [params.conv(3, ngf, 2 * ngf), params.conv(3, 2 * ngf, 4 * ngf)];
  const res = Array.from({ length: blocks }, () => [params.conv(3, 4 * ngf, 4 * ngf), params.conv(3, 4 * ngf, 4 * ngf)]);
  const up = [params.convTranspose(3, 4 * ngf, 2 * ngf), params.convTranspose(3, 2 * ngf, ngf)];
  const outConv = params.conv(7, ngf, 3);
  return (x) => {
    let h = tf.relu(instanceNorm(conv(reflect(x, 3), inConv, 1, 'valid')));
    for (const d of down) h = tf.relu(instanceNorm(conv(h, d, 2, PAD1)));
    for (const [c1, c2] of res) {
      const r = tf.relu(instanceNorm(conv(reflect(h, 1), c1, 1, 'valid')));
      h = tf.add(h, instanceNorm(conv(reflect(r, 1), c2, 1, 'valid')));
    }
    for (const u of up) h = tf.relu(instanceNorm(upsample(h, u)));
    return tf.tanh(conv(reflect(h, 3), outConv, 1, 'valid'));
  };
}

function patchDiscriminator(params: Params, ndf = 64): (x: T4) => T4 {
  const c = [params.conv(4, 3, ndf), params.conv(4, ndf, 2 * ndf), params.conv(4, 2 * ndf, 4 * ndf),
    params.conv(4, 4 * ndf, 8 * ndf), params.conv(4, 8 * ndf, 1)];
  return (x) => {
    let h = tf.leakyRelu(conv(x, c[0], 2, PAD1), 0.2);
    h = tf.leakyRelu(instanceNorm(conv(h, c[1], 2, PAD1)), 0.2);
    h = tf.leakyRelu(instanceNorm(conv(h, c[2], 2, PAD1)), 0.2);
    h = tf.leakyRelu(instanceNorm(conv(h, c[3], 1, PAD1)), 0.2);
    return conv(h, c[4], 1, PAD1);
  };
}

const l1 = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.abs(tf.sub(a, b)));
const lsgan = (p: tf.Tensor, real: boolean): tf.Scalar => tf.mean(tf.square(tf.sub(p, real ? 1 : 0)));

function randomImage(size: number): T4 {
  return tf.sub(tf.mul(tf.randomUniform([1, size, size, 3]), 2), 1);
}

function generatorStep(o: Options): () => void {
  const params = new Params();
  const g = resnetGenerator(params, o.ngf, o.blocks);
  const opt = tf.train.adam(2e-4, 0.5, 0.999);
  const x = randomImage(o.size);
  return () => {
    const loss = opt.minimize(() => l1(g(x), x), true, params.vars);
    loss?.dataSync();
    loss?.dispose();
  };
}

function cycleGanIteration(o: Options): () => void {
  const pg = new Params(), pd = new Params();
  const gA = resnetGenerator(pg, o.ngf, o.blocks), gB = resnetGenerator(pg, o.ngf, o.blocks);
  const dA = patchDiscriminator(pd), dB = patchDiscriminator(pd);
  const optG = tf.train.adam(2e-4, 0.5, 0.999), optD = tf.train.adam(2e-4, 0.5, 0.999);
  const a = randomImage(o.size), b = randomImage(o.size);
  return () => {
    let fakeB: T4 | undefined, fakeA: T4 | undefined;
    const lossG = optG.minimize(() => {
      const fb = gA(a), fa = gB(b);
      fakeB = tf.keep(fb.clone());
      fakeA = tf.keep(fa.clone());
      const adv = tf.add(lsgan(dA(fb), true), lsgan(dB(fa), true));
      const cycle = tf.mul(tf.add(l1(gB(fb), a), l1(gA(fa), b)), 10);
      const identity = tf.mul(tf.add(l1(gA(b), b), l1(gB(a), a)), 5);
      return tf.addN([adv, cycle, identity]) as tf.Scalar;
    }, true, pg.vars);
    const fb = fakeB!, fa = fakeA!;
    const lossD = optD.minimize(() => tf.add(
      tf.mul(tf.add(lsgan(dA(b), true), lsgan(dA(fb), false)), 0.5),
      tf.mul(tf.add(lsgan(dB(a), true), lsgan(dB(fa), false)), 0.5)) as tf.Scalar, true, pd.vars);
    lossG?.dataSync();
    lossD?.dataSync();
    tf.dispose([lossG!, lossD!, fb, fa]);
  };
}

// ---------------------------------------------------------------- worker: one configuration

type Config = 'cpu-original' | 'cpu-fast' | 'wasm-fast' | 'wasm-fast-1t';

/** Wall-clock and process CPU milliseconds of each timed run (CPU time is less sensitive to other load). */
function timeRuns(step: () => void, warmup: number, iters: number): { ms: number[]; cpuMs: number[] } {
  for (let i = 0; i < warmup; i++) step();
  const ms: number[] = [], cpuMs: number[] = [];
  for (let i = 0; i < iters; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { ms, cpuMs };
}

const median = (ts: number[]): number => [...ts].sort((x, y) => x - y)[Math.floor(ts.length / 2)];

interface KernelTotal { kernel: string; ms: number; calls: number }

function topTotals(groups: Map<string, { ms: number; calls: number }>, n: number): KernelTotal[] {
  return [...groups].map(([kernel, e]) => ({ kernel, ...e })).sort((x, y) => y.ms - x.ms).slice(0, n);
}

/** Kernel time of one step, summed per kernel name and per kernel name + input shapes. */
async function profileKernels(step: () => void): Promise<{ total: number; byName: KernelTotal[]; byShape: KernelTotal[] }> {
  const info = await tf.profile(step);
  const byName = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    for (const [map, key] of [[byName, k.name], [byShape, `${k.name} ${JSON.stringify(k.inputShapes)}`]] as const) {
      const e = map.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls += 1;
      map.set(key, e);
    }
  }
  return { total, byName: topTotals(byName, 12), byShape: topTotals(byShape, 15) };
}

async function worker(config: Config, o: Options): Promise<void> {
  const backend = config.startsWith('wasm') ? 'wasm' : 'cpu';
  const emit = (o: object): void => { process.stdout.write(JSON.stringify({ config, ...o }) + '\n'); };
  if (backend === 'wasm') {
    const w = await prepareWasm();
    emit({ what: 'setup', threads: w.threadCount, note: w.threadsNote });
  }
  if (config !== 'cpu-original') registerFastKernels(backend);
  tf.env().set('PROD', true); // silences the "install tfjs-node" banner (IS_TEST would also turn on tfjs's leak checks)
  await tf.setBackend(backend);
  const gStep = generatorStep(o);
  if (config === 'cpu-original') {
    emit({ what: 'G train step', ...timeRuns(gStep, 0, 1) });
    return;
  }
  const iters = backend === 'cpu' ? o.cpuIters : o.iters;
  emit({ what: 'G train step', ...timeRuns(gStep, 1, iters) });
  const it = cycleGanIteration(o);
  emit({ what: 'full CycleGAN iteration', ...timeRuns(it, 1, iters) });
  if (o.profile) emit({ what: 'profile', ...(await profileKernels(it)) });
}

// ---------------------------------------------------------------- driver

interface Row {
  config: string; what: string; ms?: number[]; cpuMs?: number[]; total?: number; byName?: KernelTotal[]; byShape?: KernelTotal[];
  threads?: number; note?: string;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return r.stdout;
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function main(o: Options): void {
  const self = fileURLToPath(import.meta.url);
  const passOn = ['--iters', String(o.iters), '--cpu-iters', String(o.cpuIters), '--ngf', String(o.ngf), '--blocks', String(o.blocks), '--size', String(o.size)];
  if (o.profile) passOn.push('--profile');
  const wasmConfigs: Config[] = ['wasm-fast-1t', 'wasm-fast'];
  const configs: Config[] = o.onlyWasm ? wasmConfigs : o.skipOriginal ? ['cpu-fast', ...wasmConfigs] : ['cpu-fast', ...wasmConfigs, 'cpu-original'];
  const rows: Row[] = [];
  for (const c of configs) {
    process.stderr.write(`running ${c} ...\n`);
    const threads = c === 'wasm-fast-1t' ? '1' : process.env.NIGHTSHIFT_WASM_THREADS || 'auto';
    const env = { ...process.env, NIGHTSHIFT_WASM_THREADS: threads };
    rows.push(...(jsonLines(runChild(process.execPath, ['--import', 'tsx', self, '--worker', c, ...passOn], env)) as unknown as Row[]));
  }
  const threadsOf = new Map(rows.filter((r) => r.what === 'setup').map((r) => [r.config, r.threads ?? 1]));
  // PyTorch twice: with 2 threads (what it would use here) and with 1 thread, whose process CPU time
  // compares like for like with single-threaded tfjs when other jobs share the cores.
  const torchScript = fileURLToPath(new URL('./torch_cpu_train.py', import.meta.url));
  const torchRuns = [2, 1].map((threads) => {
    process.stderr.write(`running PyTorch, ${threads} thread(s) ...\n`);
    const lines = jsonLines(runChild('/usr/bin/python3', [torchScript, String(o.ngf), String(o.blocks), String(o.size), '10', String(threads)]));
    const byWhat = new Map(lines.filter((r) => r.what).map((r) => [r.what as string, { wall: r.median_ms as number, cpu: r.median_cpu_ms as number }]));
    return { threads, version: String(lines[0]?.torch), byWhat };
  });
  console.log(`\ntfjs ${tf.version_core} vs PyTorch ${torchRuns[0].version}; ngf ${o.ngf}, ${o.blocks} blocks, ${o.size}x${o.size}, batch 1`);
  console.log(`median of ${o.iters} runs (wasm) / ${o.cpuIters} (cpu-fast) after 1 warm-up; cpu-original: one run, no warm-up; PyTorch: median of 10 after 3`);
  for (const r of rows.filter((x) => x.what === 'setup')) console.log(`tfjs ${r.config}: ${r.note}`);
  console.log('tfjs cpu runs on one thread; "x PyTorch 1T CPU" compares process CPU time with single-threaded PyTorch\n');
  console.log('| work | engine | threads | median wall ms | runs wall ms | median CPU ms | x PyTorch 2T (wall) | x PyTorch 1T (wall) | x PyTorch 1T (CPU) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const what of ['G train step', 'full CycleGAN iteration']) {
    const t2 = torchRuns[0].byWhat.get(what), t1 = torchRuns[1].byWhat.get(what);
    for (const tr of torchRuns) {
      const t = tr.byWhat.get(what);
      console.log(`| ${what} | PyTorch CPU | ${tr.threads} | ${t?.wall.toFixed(0) ?? 'n/a'} | | ${t?.cpu.toFixed(0) ?? 'n/a'} | | | |`);
    }
    const ratio = (x: number, ref: number | undefined): string => (ref ? (x / ref).toFixed(1) : 'n/a');
    for (const r of rows.filter((x) => x.what === what && x.ms)) {
      const m = median(r.ms!), c = median(r.cpuMs!);
      console.log(`| ${what} | tfjs ${r.config} | ${threadsOf.get(r.config) ?? 1} | ${m.toFixed(0)} | ${r.ms!.map((v) => v.toFixed(0)).join(', ')} | ${c.toFixed(0)} | ${ratio(m, t2?.wall)} | ${ratio(m, t1?.wall)} | ${ratio(c, t1?.cpu)} |`);
    }
    if (what === 'full CycleGAN iteration' && !o.skipOriginal && !o.onlyWasm) console.log(`| ${what} | tfjs cpu-original | 1 | not run (> 300 s) | | | | | |`);
  }
  console.log(`\nload average at the end: ${loadavg().map((v) => v.toFixed(1)).join(' ')} on ${cpus().length} cores (other work on the machine inflates wall times)`);
  for (const r of rows.filter((x) => x.byName)) {
    console.log(`\nprofile of one full iteration on ${r.config}: kernel time ${r.total!.toFixed(0)} ms in all`);
    for (const k of r.byName!) console.log(`  ${k.kernel.padEnd(24)} ${k.ms.toFixed(0).padStart(7)} ms ${String(k.calls).padStart(5)} calls  ${(100 * k.ms / r.total!).toFixed(1).padStart(5)}%`);
    console.log('  heaviest kernel + input shapes:');
    for (const k of r.byShape!) console.log(`  ${k.ms.toFixed(0).padStart(7)} ms ${String(k.calls).padStart(4)} calls  ${k.kernel}`);
  }
}

const opts = parseOptions(process.argv.slice(2));
if (opts.worker) await worker(opts.worker as Config, opts);
else main(opts);
