// Exact resume and determinism of the training loop on the cpu backend: N iterations, stop, resume
// for N more gives the same weights, optimiser state and pool as 2N in one go; the same seed twice
// gives the same weights; another seed does not.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { trainCycleGan, type TrainCycleGanOptions } from '../src/train/index.ts';
import { writeUnpairedFolders } from './train-synthetic-data.ts';

let root = '';
let folders: { dirA: string; dirB: string };

before(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'nightshift-train-resume-'));
  folders = await writeUnpairedFolders(join(root, 'data'), { a: 3, b: 4 }, 40);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// 4 batches per epoch (max(3, 4) images), 2 epochs (the second at half the learning rate), a pool of
// 2 so that it is full after two iterations and its random branch is taken.
const tiny = (outDir: string, extra: Partial<TrainCycleGanOptions> = {}): TrainCycleGanOptions => ({
  ...folders,
  outDir,
  architecture: { ngf: 4, nBlocks: 1, ndf: 8, nLayers: 2 },
  preprocess: 'resize_and_crop',
  loadSize: 36,
  cropSize: 32,
  poolSize: 2,
  nEpochs: 1,
  nEpochsDecay: 1,
  seed: 7,
  checkpointEvery: 0,
  sampleEvery: 0,
  logEvery: 2,
  ...extra,
});

async function checkpointBytes(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of ['G_A', 'G_B', 'D_A', 'D_B']) out.set(name, await readFile(join(dir, `${name}.safetensors`)));
  return out;
}

test('2N iterations in one go equal N, resume, N more; same seed same weights', async () => {
  const tensorsBefore = tf.memory().numTensors;
  const full = await trainCycleGan(tiny(join(root, 'full')));
  assert.equal(full.iteration, 8);
  assert.equal(full.stoppedBy, 'finished');

  const first = await trainCycleGan(tiny(join(root, 'split'), { maxIterations: 3 }));
  assert.equal(first.iteration, 3);
  assert.equal(first.stoppedBy, 'max-iterations');
  const events: string[] = [];
  const second = await trainCycleGan(
    tiny(join(root, 'split'), { resume: true, onEvent: (e) => events.push(e.kind) }),
  );
  assert.equal(second.iteration, 8);
  assert.ok(events.includes('resumed'));

  const a = await checkpointBytes(full.checkpoint);
  const b = await checkpointBytes(second.checkpoint);
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs after resume`);
  // Optimiser moments and pool contents too.
  const stateA = await readFile(join(full.checkpoint, 'trainer-state.safetensors'));
  const stateB = await readFile(join(second.checkpoint, 'trainer-state.safetensors'));
  assert.ok(stateA.equals(stateB), 'trainer state differs after resume');
  // The loss log of the split run equals the one of the full run, apart from times and rates.
  const strip = (text: string) => text.trim().split('\n').map((l) => {
    const { time: _t, iterationsPerSecond: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
  assert.deepEqual(
    strip(await readFile(join(root, 'split', 'loss-log.jsonl'), 'utf8')),
    strip(await readFile(join(root, 'full', 'loss-log.jsonl'), 'utf8')),
  );
  // Only the newest checkpoint keeps the (large) trainer state.
  const firstFiles = await readdir(first.checkpoint);
  assert.ok(!firstFiles.includes('trainer-state.safetensors'), firstFiles.join(','));

  const again = await trainCycleGan(tiny(join(root, 'again'), { maxIterations: 3 }));
  const c = await checkpointBytes(again.checkpoint);
  const d = await checkpointBytes(first.checkpoint);
  for (const [name, bytes] of c) assert.ok(bytes.equals(d.get(name)!), `${name}: same seed, different weights`);

  const other = await trainCycleGan(tiny(join(root, 'other'), { maxIterations: 3, seed: 8 }));
  const e = await checkpointBytes(other.checkpoint);
  for (const [name, bytes] of e) assert.ok(!bytes.equals(d.get(name)!), `${name}: another seed, same weights`);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaked tensors');
});

test('refuses to overwrite a run, and to resume with another recipe', async () => {
  const out = join(root, 'guard');
  await trainCycleGan(tiny(out, { maxIterations: 1 }));
  await assert.rejects(trainCycleGan(tiny(out, { maxIterations: 2 })), /already holds a training run/);
  await assert.rejects(trainCycleGan(tiny(out, { resume: true, seed: 9 })), /started with seed 7; cannot resume it with 9/);
  await assert.rejects(trainCycleGan(tiny(join(folders.dirA, 'out'))), /lies inside the input folder/);
});
