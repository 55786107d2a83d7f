// Training on the webgpu backend under Node: tfjs-webgpu cannot read tensors synchronously there
// (its dataSync needs OffscreenCanvas), so every read in a training step must be async. Runs two
// tiny iterations on the adapter Dawn finds (Mesa lavapipe here, a GPU on a GPU machine) and checks
// the losses and weights against the cpu backend. Also: auto never trains on a software adapter.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { prepareWebGpu, selectBackend } from '../src/backends/index.ts';
import { entryToFloat32, parseSafetensors } from '../src/safetensors.ts';
import { trainCycleGan, type TrainCycleGanOptions } from '../src/train/index.ts';
import { writeUnpairedFolders } from './train-synthetic-data.ts';

const webgpu = await prepareWebGpu().then((a) => a, (e: Error) => e.message);
const skip = typeof webgpu === 'string' && `webgpu unavailable: ${webgpu}`;

let root = '';
let folders: { dirA: string; dirB: string };
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'nightshift-train-webgpu-'));
  folders = await writeUnpairedFolders(join(root, 'data'), { a: 2, b: 2 }, 32);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const tiny = (outDir: string): TrainCycleGanOptions => ({
  ...folders, outDir, architecture: { ngf: 2, nBlocks: 1, ndf: 4, nLayers: 1 },
  preprocess: 'none', flip: false, poolSize: 1, maxIterations: 2, seed: 5, checkpointEvery: 0, sampleEvery: 2, logEvery: 1,
});

test('CycleGAN trains on webgpu (async reads only) and agrees with the cpu backend', { skip }, async () => {
  await selectBackend('cpu');
  const cpu = await trainCycleGan(tiny(join(root, 'cpu')));
  await selectBackend('webgpu');
  const gpu = await trainCycleGan(tiny(join(root, 'webgpu')));
  assert.equal(gpu.iteration, 2);
  // The first iteration's losses come from the same initial weights and batch: they must agree.
  // (Weights are not compared: Adam's first steps move each weight by about lr whatever the
  // gradient's size, so a near-zero gradient whose sign differs between backends differs by 2 lr.)
  const firstLosses = async (dir: string): Promise<Record<string, number>> =>
    JSON.parse((await readFile(join(dir, 'loss-log.jsonl'), 'utf8')).split('\n')[0]).losses;
  const [a, b] = [await firstLosses(join(root, 'cpu')), await firstLosses(join(root, 'webgpu'))];
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const [name, value] of Object.entries(a)) {
    assert.ok(Math.abs(value - b[name]) <= 1e-4 * Math.max(1, Math.abs(value)), `${name}: cpu ${value}, webgpu ${b[name]}`);
  }
  const path = join(gpu.checkpoint, 'G_A.safetensors');
  for (const entry of parseSafetensors(await readFile(path), path).tensors.values()) {
    assert.ok(entryToFloat32(entry, path).every(Number.isFinite), `${entry.name} holds non-finite weights`);
  }
  await selectBackend('cpu');
});

test('auto does not train on a software WebGPU adapter when wasm works', { skip }, async () => {
  const chosen = await selectBackend('auto', { purpose: 'training' });
  if (typeof webgpu !== 'string' && webgpu.software) {
    assert.notEqual(chosen.name, 'webgpu', chosen.reason);
    assert.match(chosen.skipped.find((s) => s.name === 'webgpu')?.why ?? '', /software adapter .*slower than wasm for training/);
  }
  await selectBackend('cpu');
});
