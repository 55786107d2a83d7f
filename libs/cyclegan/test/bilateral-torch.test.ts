// The bilateral generator against an outside implementation: a PyTorch twin written from
// docs/bilateral-generator.md (fixtures/bilateral_twin.py) reads the same safetensors weights and
// must agree with both engines (tfjs and ONNX Runtime) within 1e-4, on random weights and on the
// committed default, at non-square sizes. Skipped where /usr/bin/python3 has no torch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BilateralGenerator, OnnxTranslator, exportGeneratorOnnx, loadGenerator, writeSafetensors, type Generator } from '../src/index.ts';
import { CURVE_KNOTS } from '../src/networks/bilateral-generator.ts';

await tf.setBackend('cpu');
const PYTHON = '/usr/bin/python3';
const TWIN = new URL('./fixtures/bilateral_twin.py', import.meta.url).pathname;
const DEFAULT_MODEL = new URL('../../../datasets/models/default', import.meta.url).pathname;
const hasTorch = existsSync(PYTHON) && (() => {
  try { execFileSync(PYTHON, ['-c', 'import torch, numpy']); return true; } catch { return false; }
})();
const skip = !hasTorch && 'needs /usr/bin/python3 with torch';

const root = mkdtempSync(join(tmpdir(), 'nightshift-bilateral-torch-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** NCHW input in [-1, 1], every 5th value on or next to a curve knot or at the ends. */
function input(shape: [number, number, number, number], seed: number): Float32Array {
  const special = CURVE_KNOTS.flatMap((t) => [t, t + 1e-5]).concat([-1, 1]);
  const x = tf.tidy(() => tf.randomUniform(shape, -1, 1, 'float32', seed).dataSync() as Float32Array);
  return x.map((v, i) => (i % 5 === 0 ? special[(i / 5) % special.length] : v));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

interface Case {
  readonly generator: Generator;
  readonly weights: string;
  readonly shape: [number, number, number, number];
  readonly seed: number;
}

/** The twin's outputs for every case, from one Python process (torch starts once). */
function torchTwin(cases: readonly Case[]): Float32Array[] {
  const jobs = cases.map((c, i) => {
    const job = { weights: c.weights, input: join(root, `input-${i}.f32`), shape: c.shape, output: join(root, `output-${i}.f32`) };
    writeFileSync(job.input, input(c.shape, c.seed));
    return job;
  });
  const list = join(root, 'jobs.json');
  writeFileSync(list, JSON.stringify(jobs));
  execFileSync(PYTHON, [TWIN, list]);
  return jobs.map((j) => { const b = readFileSync(j.output); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); });
}

async function engines(g: Generator, x: Float32Array, shape: [number, number, number, number]): Promise<{ tfjs: Float32Array; onnx: Float32Array }> {
  const tfjs = tf.tidy(() => tf.transpose(g.apply(tf.transpose(tf.tensor4d(x, shape), [0, 2, 3, 1]) as tf.Tensor4D), [0, 3, 1, 2]).dataSync() as Float32Array);
  const translator = await OnnxTranslator.create(await exportGeneratorOnnx(g), { provider: 'cpu' });
  try {
    return { tfjs, onnx: await translator.forward(x, shape) };
  } finally {
    translator.dispose();
  }
}

/** Each case's tfjs and onnx outputs against the twin's; one diagnostic line per case. */
async function agree(cases: readonly Case[]): Promise<string[]> {
  const expected = torchTwin(cases);
  const lines: string[] = [];
  for (const [i, c] of cases.entries()) {
    const { tfjs, onnx } = await engines(c.generator, input(c.shape, c.seed), c.shape);
    const label = `${c.weights} at ${c.shape[3]}x${c.shape[2]} (batch ${c.shape[0]})`;
    const [dt, dx] = [maxDiff(tfjs, expected[i]), maxDiff(onnx, expected[i])];
    assert.ok(dt <= 1e-4, `${label}: tfjs differs from PyTorch by ${dt}`);
    assert.ok(dx <= 1e-4, `${label}: onnx differs from PyTorch by ${dx}`);
    lines.push(`${label}: |tfjs - torch| ${dt.toExponential(1)}, |onnx - torch| ${dx.toExponential(1)}`);
  }
  return lines;
}

test('random weights: PyTorch twin, tfjs and onnx agree within 1e-4', { skip }, async (t) => {
  const made: Array<[{ ngf: number; nBlocks: number }, number, number, [number, number, number, number]]> = [
    [{ ngf: 8, nBlocks: 2 }, 0.02, 21, [2, 3, 72, 150]],
    [{ ngf: 4, nBlocks: 0 }, 0.1, 22, [1, 3, 45, 97]], // larger init: slopes near their bounds
  ];
  const cases: Case[] = [];
  try {
    for (const [architecture, initGain, seed, shape] of made) {
      const generator = new BilateralGenerator(architecture, { seed, initGain });
      const weights = join(root, `random-${seed}.safetensors`);
      cases.push({ generator, weights, shape, seed });
      await writeSafetensors(weights, await generator.stateDict());
    }
    for (const line of await agree(cases)) t.diagnostic(line);
  } finally {
    for (const c of cases) c.generator.dispose();
  }
});

test('the committed default (G_A and G_B): PyTorch twin, tfjs and onnx agree within 1e-4', { skip }, async (t) => {
  const cases: Case[] = [];
  try {
    for (const [seed, which] of (['G_A', 'G_B'] as const).entries()) {
      cases.push({ generator: await loadGenerator(DEFAULT_MODEL, { which }), weights: join(DEFAULT_MODEL, `${which}.safetensors`), shape: [1, 3, 100, 172], seed });
    }
    for (const line of await agree(cases)) t.diagnostic(line);
  } finally {
    for (const c of cases) c.generator.dispose();
  }
});
