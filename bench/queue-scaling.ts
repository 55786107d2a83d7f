// Queued builds: throughput of 1 and 2 `nightshift worker` processes against a local run of the same
// build, and the queue's overhead per unit. Every process is single-threaded where it computes: the
// tfjs wasm engine runs one thread (the default), and VIPS_CONCURRENCY=1 / UV_THREADPOOL_SIZE=1 keep
// sharp's decode and encode on one thread, so n workers should use n cores.
// Usage: npm run bench -- queue-scaling [--count 200] [--width 256] [--height 128] [--unit-size 4] [--repeat 1] [--model <checkpoint>]
// --repeat n measures the three runs n times in turn (this VM's speed drifts by 10-20% between minutes)
// and prints every speed-up and their median.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nightshiftProcess } from '../apps/augment/test/process-helpers.ts';
import { redisMissing, startRedis, stopProcess } from '../apps/augment/test/queue-helpers.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'apps/augment/bin/nightshift.mjs');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    repeat: { type: 'string', default: '1' },
    width: { type: 'string', default: '256' },
    height: { type: 'string', default: '128' },
    'unit-size': { type: 'string', default: '4' },
    model: { type: 'string', default: join(REPO, 'datasets', 'models', 'default') },
  },
});
if (redisMissing) {
  console.error(redisMissing);
  process.exit(2);
}

// Inherited by every process the bench starts.
Object.assign(process.env, { VIPS_CONCURRENCY: '1', UV_THREADPOOL_SIZE: '1', NIGHTSHIFT_WASM_THREADS: '1' });
const dir = mkdtempSync(join(tmpdir(), 'ns-bench-queue-'));
const input = join(dir, 'synth');
const build = ['night', '--input', input, '--model', values.model!, '--engine', 'tfjs', '--backend', 'wasm', '--batch', '1'];

interface Summary {
  samples: { built: number };
  wallSeconds: number;
  queue?: { units: { done: number }; workers: { id: string; samples: number; seconds: number }[] };
}

/** CPU seconds of this process's finished (waited-for) children: cutime + cstime of /proc/self/stat. */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

interface Measured extends Summary {
  /** CPU seconds of every process of the run (coordinator and workers). */
  cpu: number;
  /** Load average (1 min) at the end of the run: other work on the machine. */
  load: number;
}

async function measure(run: () => Summary | Promise<Summary>): Promise<Measured> {
  const before = childCpuSeconds();
  const summary = await run();
  return { ...summary, cpu: childCpuSeconds() - before, load: loadavg()[0] };
}

function nightshift(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nightshift ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

function night(output: string, extra: string[] = []): Summary {
  nightshift([...build, '--output', output, ...extra]);
  return JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
}

async function queued(redis: string, workers: number, output: string): Promise<Summary> {
  const procs = Array.from({ length: workers }, (_, i) => nightshiftProcess(['worker', '--queue', redis, '--name', `w${i}`]));
  try {
    await Promise.all(procs.map((p) => p.waitFor(/waiting for units/)));
    return night(output, ['--queue', redis, '--unit-size', values['unit-size']!]);
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p)));
  }
}

function printRound(round: number, load: number, local: Measured, one: Measured, two: Measured): number {
  const rate = (s: Summary): number => s.samples.built / s.wallSeconds;
  const busy = (s: Summary): number => (s.queue?.workers ?? []).reduce((t, w) => t + w.seconds, 0);
  const units = one.queue!.units.done;
  const rows = [
    ['local run (1 process)', local, '-', '-'],
    ['queue, 1 worker', one, busy(one).toFixed(2), String(one.queue!.workers.length)],
    ['queue, 2 workers', two, busy(two).toFixed(2), String(two.queue!.workers.length)],
  ] as const;
  const header = ['run', 'samples', 'wall s', 'samples/s', 'vs 1 worker', 'worker busy s', 'workers used', 'CPU s (all processes)', 'CPU s / sample', 'load after'];
  const table = rows.map(([name, s, b, w]) => [name, String(s.samples.built), s.wallSeconds.toFixed(2), rate(s).toFixed(2), `${(rate(s) / rate(one)).toFixed(2)}x`, b, w,
    s.cpu.toFixed(1), (s.cpu / s.samples.built).toFixed(3), s.load.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  console.log(`\nround ${round}: ${values.count} synthetic ${values.width}x${values.height} samples, model ${values.model}, tfjs wasm (one thread per process), units of ${values['unit-size']}`);
  console.log(`${availableParallelism()} cores, load average ${load.toFixed(2)} before the runs; wall s is the coordinator's (plan, enqueue, wait, assemble);`);
  console.log('CPU s counts every process of the run from its start (node start-up, engine set-up and the coordinator included); worker busy s: time the workers spent in units\n');
  for (const r of [header, ...table]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
  const speedup = rate(two) / rate(one);
  console.log(`\n2 workers / 1 worker: ${speedup.toFixed(2)}x (target >= 1.7x: ${speedup >= 1.7 ? 'met' : 'NOT met'})`);
  console.log(`queue overhead against the local run: ${(((one.wallSeconds - local.wallSeconds) / units) * 1000).toFixed(0)} ms per unit of ${values['unit-size']} ` +
    `(${units} units; includes the worker opening the engine for the build once); CPU: ${(((one.cpu - local.cpu) / units) * 1000).toFixed(0)} ms per unit`);
  return speedup;
}

const redisServer = await startRedis();
try {
  const redis = redisServer.url;
  nightshift(['synth', '--output', input, '--count', values.count!, '--width', values.width!, '--height', values.height!, '--no-faults']);
  const speedups: number[] = [];
  for (let round = 1; round <= Number(values.repeat); round++) {
    const load = loadavg()[0];
    const local = await measure(() => night(join(dir, `local-${round}`)));
    const one = await measure(() => queued(redis, 1, join(dir, `q1-${round}`)));
    const two = await measure(() => queued(redis, 2, join(dir, `q2-${round}`)));
    speedups.push(printRound(round, load, local, one, two));
  }
  if (speedups.length > 1) {
    const sorted = [...speedups].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`\n2 workers / 1 worker over ${speedups.length} rounds: ${speedups.map((s) => `${s.toFixed(2)}x`).join(', ')}; median ${median.toFixed(2)}x (target >= 1.7x: ${median >= 1.7 ? 'met' : 'NOT met'})`);
  }
} finally {
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
