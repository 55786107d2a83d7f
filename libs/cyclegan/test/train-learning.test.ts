// Training learns: on a simple unpaired mapping (A: smooth random colours; B: the same kind of
// images darkened and shifted to blue), a tiny CycleGAN on the cpu backend lowers its cycle loss
// and moves the colour statistics of G_A(A) towards those of B within a few dozen iterations.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import sharp from 'sharp';
import { loadGenerator } from '../src/index.ts';
import { listImages, loadTrainingImage, trainCycleGan, type TrainEvent, type TrainProgress } from '../src/train/index.ts';
import { writeUnpairedFolders } from './train-synthetic-data.ts';

const SIZE = 32;
const ITERATIONS = 30;
let root = '';
let folders: { dirA: string; dirB: string };

before(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'nightshift-train-learn-'));
  folders = await writeUnpairedFolders(join(root, 'data'), { a: 8, b: 8 }, SIZE);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function loadFolder(dir: string): Promise<Float32Array[]> {
  const { files } = await listImages(dir);
  const o = { preprocess: 'none', loadSize: SIZE, cropSize: SIZE, flip: false } as const;
  return Promise.all(files.map(async (f) => (await loadTrainingImage(f, { cropU: 0, cropV: 0, flip: false }, o)).data));
}

function channelMeans(images: readonly Float32Array[]): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (const x of images) {
    for (let i = 0; i < x.length; i += 3, n++) for (let c = 0; c < 3; c++) sum[c] += x[i + c];
  }
  return sum.map((s) => s / n);
}

async function translateMeans(checkpoint: string, images: readonly Float32Array[]): Promise<number[]> {
  const g = await loadGenerator(checkpoint, { which: 'G_A' });
  try {
    const out = images.map((x) => tf.tidy(() => g.apply(tf.tensor4d(x, [1, SIZE, SIZE, 3])).dataSync() as Float32Array));
    return channelMeans(out);
  } finally {
    g.dispose();
  }
}

const distance = (p: number[], q: number[]): number => Math.hypot(...p.map((v, i) => v - q[i]));

test('a tiny CycleGAN learns a darken-and-blue mapping', async (t) => {
  const common = {
    ...folders,
    architecture: { ngf: 4, nBlocks: 1, ndf: 8, nLayers: 2 },
    preprocess: 'none' as const,
    nEpochs: 100,
    nEpochsDecay: 0,
    seed: 3,
    checkpointEvery: 0,
  };
  const initial = await trainCycleGan({ ...common, outDir: join(root, 'init'), maxIterations: 0 });
  assert.equal(initial.iteration, 0);

  const cycle: number[] = [];
  const events: TrainEvent[] = [];
  const progress: TrainProgress[] = [];
  const trained = await trainCycleGan({
    ...common,
    outDir: join(root, 'out'),
    maxIterations: ITERATIONS,
    sampleEvery: 15,
    logEvery: 10,
    onProgress: (p) => {
      progress.push(p);
      cycle.push(p.losses.cycle_A + p.losses.cycle_B);
    },
    onEvent: (e) => events.push(e),
  });
  assert.equal(trained.iteration, ITERATIONS);
  assert.deepEqual(progress.map((p) => p.iteration), Array.from({ length: ITERATIONS }, (_, i) => i + 1));
  const lastProgress = progress[ITERATIONS - 1];
  assert.equal(lastProgress.totalIterations, ITERATIONS);
  assert.equal(lastProgress.secondsLeft, 0);
  assert.ok(progress[0].secondsLeft > 0 && Number.isFinite(progress[0].secondsLeft));
  assert.ok(lastProgress.iterationsPerSecond > 0);
  assert.equal(lastProgress.lr, 0.0002);

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cycleStart = mean(cycle.slice(0, 10));
  const cycleEnd = mean(cycle.slice(-10));
  t.diagnostic(`cycle loss (A+B), mean of first / last 10 iterations: ${cycleStart.toFixed(3)} -> ${cycleEnd.toFixed(3)}`);
  assert.ok(cycleEnd < 0.85 * cycleStart, `cycle loss did not drop: ${cycleStart} -> ${cycleEnd}`);

  const a = await loadFolder(folders.dirA);
  const b = await loadFolder(folders.dirB);
  const meanB = channelMeans(b);
  const before = await translateMeans(initial.checkpoint, a);
  const afterTraining = await translateMeans(trained.checkpoint, a);
  const fmt = (m: number[]) => m.map((v) => v.toFixed(2)).join(', ');
  t.diagnostic(`channel means: B (${fmt(meanB)}), G_A(A) untrained (${fmt(before)}), trained (${fmt(afterTraining)})`);
  const dBefore = distance(before, meanB);
  const dAfter = distance(afterTraining, meanB);
  assert.ok(dAfter < 0.5 * dBefore, `G_A(A) did not move towards B: distance ${dBefore} -> ${dAfter}`);

  // The outputs a user looks at: sample grids (2 rows x 3 images), loss log and its chart.
  const samples = events.filter((e) => e.kind === 'sample');
  assert.equal(samples.length, 2);
  const meta = await sharp(samples[0].kind === 'sample' ? samples[0].file : '').metadata();
  assert.equal(meta.width, 3 * SIZE);
  assert.equal(meta.height, 2 * SIZE);
  assert.equal(events.filter((e) => e.kind === 'log').length, 3);
  const curve = await sharp(join(root, 'out', 'loss-curve.png')).metadata();
  assert.equal(curve.format, 'png');
  assert.ok((await stat(join(root, 'out', 'loss-log.jsonl'))).size > 0);
});
