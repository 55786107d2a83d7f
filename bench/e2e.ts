// End-to-end dataset builds: images per second of `nightshift night` on the embedded sample and on the
// real Cityscapes frames, for each engine, with the busy time of every stage and what running the
// stages overlapped saves against running them one after another (sum of stage busy times vs wall).
// Usage: node --import tsx bench/e2e.ts [--model <checkpoint>] [--engines tfjs:wasm,onnx:cpu] [--no-real]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const REAL = join(REPO, '..', 'shared', 'data', 'real', 'cityscapes');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(REPO, 'datasets', 'models', 'default') },
    engines: { type: 'string', default: 'tfjs:wasm,onnx:cpu' },
    'no-real': { type: 'boolean', default: false },
  },
});

interface Stage { items: number; seconds: number }
interface Summary { samples: { built: number }; stages: Record<string, Stage>; wallSeconds: number; engine: { name: string; backend: string } }

function build(input: string, engine: string, backend: string): Summary {
  const out = join(mkdtempSync(join(tmpdir(), 'ns-bench-e2e-')), 'night');
  try {
    const r = spawnSync(process.execPath, [join(REPO, 'apps/augment/bin/nightshift.mjs'), 'night', '--input', input,
      '--model', values.model!, '--engine', engine, '--backend', backend, '--output', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nightshift night failed (${engine}:${backend}):\n${r.stderr}`);
    return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
}

const inputs: [string, string][] = [['sample (8 x 512x256)', join(REPO, 'datasets', 'sample')]];
if (!values['no-real'] && existsSync(REAL)) inputs.push(['real Cityscapes (3 x 2048x1024)', REAL]);

const rows: string[][] = [];
for (const [name, input] of inputs) {
  for (const candidate of values.engines!.split(',')) {
    const [engine, backend] = candidate.split(':');
    const s = build(input, engine, backend);
    const busy = Object.values(s.stages).reduce((t, st) => t + st.seconds, 0);
    const stage = (k: string) => s.stages[k] ? s.stages[k].seconds.toFixed(2) : '-';
    rows.push([name, `${s.engine.name}:${s.engine.backend}`, String(s.samples.built), (s.samples.built / s.wallSeconds).toFixed(2),
      stage('decode'), stage('translate'), stage('check'), stage('write'), busy.toFixed(2), s.wallSeconds.toFixed(2),
      `${(100 * (1 - s.wallSeconds / busy)).toFixed(0)}%`]);
  }
}
const header = ['input', 'engine', 'images', 'images/s', 'decode s', 'translate s', 'check s', 'write s', 'stages sum s', 'wall s', 'overlap saves'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log('nightshift night, end to end (stage times are busy seconds; "overlap saves" = 1 - wall / sum of stages)\n');
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
