/**
 * Golden tests against PyTorch 1.13 running the reference networks (fixtures/make_torch_fixtures.py).
 * Torch is not needed at test time: its weights, inputs and outputs are committed fixtures.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint, loadDiscriminator, loadGenerator, readSafetensors, type Network } from '../src/index.ts';
import { writeTsCheckpoint } from './fixtures/make_ts_checkpoint.ts';
import { FIXTURES, maxAbsDiff, nhwc, torchFacts } from './helpers.ts';

const TOLERANCE = 1e-4;

test('ResnetGenerator matches PyTorch on the reference weights', async (t) => {
  const io = await readSafetensors(`${FIXTURES}torch_io.safetensors`);
  const g = await loadGenerator(`${FIXTURES}torch_G.safetensors`);
  try {
    assert.deepEqual({ ...g.architecture }, { inputNc: 3, outputNc: 3, ngf: 8, nBlocks: 2 });
    const y = g.apply(nhwc(io, 'g_input'));
    const expected = nhwc(io, 'g_output');
    assert.deepEqual(y.shape, expected.shape);
    const diff = maxAbsDiff(y, expected);
    t.diagnostic(`G max abs diff vs PyTorch: ${diff.toExponential(3)} (output range ${tf.min(expected).dataSync()[0].toFixed(3)}..${tf.max(expected).dataSync()[0].toFixed(3)})`);
    assert.ok(diff <= TOLERANCE, `max abs diff ${diff}`);
  } finally {
    g.dispose();
  }
});

test('NLayerDiscriminator matches PyTorch on the reference weights', async (t) => {
  const io = await readSafetensors(`${FIXTURES}torch_io.safetensors`);
  const d = await loadDiscriminator(`${FIXTURES}torch_D.safetensors`);
  try {
    assert.deepEqual({ ...d.architecture }, { inputNc: 3, ndf: 8, nLayers: 3 });
    const y = d.apply(nhwc(io, 'd_input'));
    const expected = nhwc(io, 'd_output');
    assert.deepEqual(y.shape, expected.shape);
    const diff = maxAbsDiff(y, expected);
    t.diagnostic(`D max abs diff vs PyTorch: ${diff.toExponential(3)} (output max |v| ${tf.max(tf.abs(expected)).dataSync()[0].toFixed(3)})`);
    assert.ok(diff <= TOLERANCE, `max abs diff ${diff}`);
  } finally {
    d.dispose();
  }
});

test('a legacy DataParallel F16 state_dict (module. prefix, IN running stats) loads and matches', async (t) => {
  const facts = await torchFacts();
  assert.ok(facts.legacyKeys.some((k) => k.startsWith('module.') && k.endsWith('.num_batches_tracked')));
  const io = await readSafetensors(`${FIXTURES}torch_io.safetensors`);
  const g = await loadGenerator(`${FIXTURES}torch_G_legacy_f16.safetensors`);
  try {
    const y = g.apply(nhwc(io, 'g_input'));
    const diff = maxAbsDiff(y, nhwc(io, 'g_output_f16_weights'));
    t.diagnostic(`legacy F16 G max abs diff vs PyTorch: ${diff.toExponential(3)}`);
    assert.ok(diff <= TOLERANCE, `max abs diff ${diff}`);
  } finally {
    g.dispose();
  }
});

test('our checkpoint loads into PyTorch (strict) and gives our outputs; the current code writes it byte for byte', async (t) => {
  const folder = `${FIXTURES}ts_checkpoint`;
  const torchOut = await readSafetensors(`${FIXTURES}ts_checkpoint_torch_out.safetensors`);
  const io = await readSafetensors(`${FIXTURES}torch_io.safetensors`);
  const loaded = await loadCheckpoint(folder);
  try {
    for (const name of ['G_A', 'G_B', 'D_A', 'D_B'] as const) {
      const net: Network<{ inputNc: number }> = loaded[name]!;
      // PyTorch ran each network on the first inputNc channels of the fixture input.
      const base = nhwc(io, name[0] === 'G' ? 'g_input' : 'd_input');
      const [n, h, w] = base.shape;
      const y = net.apply(tf.slice(base, [0, 0, 0, 0], [n, h, w, net.architecture.inputNc]));
      const diff = maxAbsDiff(y, nhwc(torchOut, `${name}_output`));
      t.diagnostic(`${name} (written by saveCheckpoint, run by PyTorch) max abs diff: ${diff.toExponential(3)}`);
      assert.ok(diff <= TOLERANCE, `${name}: max abs diff ${diff}`);
    }
  } finally {
    for (const name of ['G_A', 'G_B', 'D_A', 'D_B'] as const) loaded[name]?.dispose();
  }
  const dir = await mkdtemp(join(tmpdir(), 'cyclegan-ts-ckpt-'));
  try {
    await writeTsCheckpoint(dir);
    const files = (await readdir(folder)).sort();
    assert.deepEqual((await readdir(dir)).sort(), files);
    for (const f of files) assert.ok((await readFile(join(dir, f))).equals(await readFile(join(folder, f))), `${f} differs`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
