// trainPix2Pix on tiny synthetic pairs: A/B folders and side-by-side AB images load as the
// reference's AlignedDataset does, a tiny U-Net learns the paired mapping, and a stopped and
// resumed run ends with the same bytes as one that ran through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  listPairs, loadPair, loadUnetGenerator, Pix2PixModel, readPix2PixConfig, SeededRandom, trainPix2Pix, type Pix2PixLossLogLine,
} from '../src/index.ts';
import { darkenBlue } from './train-synthetic-data.ts';

await tf.setBackend('cpu');
const SIZE = 32;
const ARCH = { ngf: 4, numDowns: 5, ndf: 8, nLayers: 2 } as const;

async function smooth(random: SeededRandom, size: number): Promise<Uint8Array> {
  const low = new Uint8Array(4 * 4 * 3);
  for (let i = 0; i < low.length; i++) low[i] = Math.floor(random.nextFloat() * 256);
  const { data } = await sharp(low, { raw: { width: 4, height: 4, channels: 3 } }).resize(size, size, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

const png = (rgb: Uint8Array, width: number, height: number) => sharp(rgb, { raw: { width, height, channels: 3 } }).png();

/** pairsDir/A/pN.png and pairsDir/B/pN.png, B = darkenBlue(A). */
async function writeFolderPairs(dir: string, count: number, seed: number): Promise<Array<[Uint8Array, Uint8Array]>> {
  await mkdir(join(dir, 'A'), { recursive: true });
  await mkdir(join(dir, 'B'), { recursive: true });
  const random = new SeededRandom(seed);
  const pairs: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < count; i++) {
    const a = await smooth(random, SIZE);
    const b = darkenBlue(a);
    await png(a, SIZE, SIZE).toFile(join(dir, 'A', `p${i}.png`));
    await png(b, SIZE, SIZE).toFile(join(dir, 'B', `p${i}.png`));
    pairs.push([a, b]);
  }
  return pairs;
}

/** Side-by-side AB images (A left, B right). */
async function writeSideBySide(dir: string, count: number, seed: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const random = new SeededRandom(seed);
  for (let i = 0; i < count; i++) {
    const a = await smooth(random, SIZE);
    const b = darkenBlue(a);
    const ab = new Uint8Array(SIZE * 2 * SIZE * 3);
    for (let y = 0; y < SIZE; y++) {
      ab.set(a.subarray(y * SIZE * 3, (y + 1) * SIZE * 3), y * 2 * SIZE * 3);
      ab.set(b.subarray(y * SIZE * 3, (y + 1) * SIZE * 3), (y * 2 + 1) * SIZE * 3);
    }
    await png(ab, 2 * SIZE, SIZE).toFile(join(dir, `ab${i}.png`));
  }
}

const toUnit = (rgb: Uint8Array) => Float32Array.from(rgb, (v) => (v / 255 - 0.5) / 0.5);

test('pairs: A/B folders match by name, side-by-side images split at int(w/2), A and B share crop and flip', async () => {
  const root = await mkdtemp(join(tmpdir(), 'p2p-pairs-'));
  try {
    await writeFolderPairs(join(root, 'folders'), 2, 3);
    await png(new Uint8Array(SIZE * SIZE * 3), SIZE, SIZE).toFile(join(root, 'folders', 'A', 'lonely.png'));
    const folders = await listPairs(join(root, 'folders'));
    assert.equal(folders.layout, 'A-B-folders');
    assert.deepEqual(folders.pairs.map((p) => p.name), ['p0.png', 'p1.png']);
    assert.match(folders.skipped[0].message, /lonely\.png.*no partner/);

    await writeSideBySide(join(root, 'ab'), 1, 4);
    const ab = await listPairs(join(root, 'ab'));
    assert.equal(ab.layout, 'side-by-side');
    // Crop 24 of 32 at a random place, flipped: B must still be exactly darkenBlue of the same A pixels.
    const [a, b] = await loadPair(ab.pairs[0], { cropU: 0.7, cropV: 0.2, flip: true }, { preprocess: 'crop', loadSize: 32, cropSize: 24, flip: true });
    assert.equal(a.width, 24);
    const aBytes = Uint8Array.from(a.data, (v) => Math.round((v * 0.5 + 0.5) * 255));
    const expectedB = toUnit(darkenBlue(aBytes));
    let worst = 0;
    for (let i = 0; i < expectedB.length; i++) worst = Math.max(worst, Math.abs(expectedB[i] - b.data[i]));
    assert.ok(worst < 1e-6, `B differs from darkenBlue(A) by ${worst}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a tiny U-Net learns a paired mapping: G_L1 falls and G(A) moves toward B', async () => {
  const root = await mkdtemp(join(tmpdir(), 'p2p-learn-'));
  try {
    const pairs = await writeFolderPairs(join(root, 'pairs'), 4, 7);
    const lines: Pix2PixLossLogLine[] = [];
    const options = { architecture: ARCH, seed: 2, lr: 0.002, preprocess: 'none' as const, flip: false, batchSize: 2, logEvery: 4 };
    const result = await trainPix2Pix({
      ...options, pairsDir: join(root, 'pairs'), outDir: join(root, 'out'), maxIterations: 24, sampleEvery: 24,
      onEvent: (e) => { if (e.kind === 'log') lines.push(e.line); },
    });
    assert.equal(result.iteration, 24);
    assert.ok(lines.at(-1)!.losses.G_L1 < 0.6 * lines[0].losses.G_L1, `G_L1 ${lines[0].losses.G_L1} -> ${lines.at(-1)!.losses.G_L1}`);

    const config = await readPix2PixConfig(join(result.checkpoint, 'config.json'));
    assert.equal(config?.mode, 'pix2pix');
    assert.deepEqual({ ngf: config!.architecture.ngf, numDowns: config!.architecture.numDowns, norm: config!.architecture.norm }, { ngf: 4, numDowns: 5, norm: 'batch' });
    const files = await readdir(join(root, 'out'));
    for (const f of ['loss-log.jsonl', 'loss-curve.png', 'samples', 'checkpoints']) assert.ok(files.includes(f), f);
    const sample = await sharp(join(root, 'out', 'samples', 'iter-00000024.png')).metadata();
    assert.deepEqual([sample.width, sample.height], [3 * SIZE, SIZE]);

    const trained = await loadUnetGenerator(result.checkpoint);
    const untrained = new Pix2PixModel(ARCH, { seed: 2 });
    try {
      const a = tf.tensor4d(Float32Array.from(pairs.flatMap(([x]) => [...toUnit(x)])), [pairs.length, SIZE, SIZE, 3]);
      const b = tf.tensor4d(Float32Array.from(pairs.flatMap(([, y]) => [...toUnit(y)])), [pairs.length, SIZE, SIZE, 3]);
      const l1 = (g: { apply(x: tf.Tensor4D): tf.Tensor4D }) => tf.tidy(() => tf.mean(tf.abs(tf.sub(g.apply(a), b))).dataSync()[0]);
      const before = l1(untrained.G);
      const after = l1(trained);
      console.log(`G_L1 ${lines[0].losses.G_L1} -> ${lines.at(-1)!.losses.G_L1}; mean |G(A) - B| ${before} untrained, ${after} trained`);
      assert.ok(after < 0.6 * before, `mean |G(A) - B|: ${before} untrained, ${after} trained`);
      tf.dispose([a, b]);
    } finally {
      trained.dispose();
      untrained.dispose();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a run stopped after 3 iterations and resumed to 6 ends with the bytes of a 6-iteration run', async () => {
  const root = await mkdtemp(join(tmpdir(), 'p2p-resume-'));
  try {
    await writeSideBySide(join(root, 'pairs'), 3, 9);
    // Default preprocessing (resize, random crop and flip) so that the data stream matters too.
    const common = { pairsDir: join(root, 'pairs'), architecture: ARCH, seed: 5, batchSize: 2, loadSize: 40, cropSize: 32, logEvery: 2, checkpointEvery: 0 };
    await trainPix2Pix({ ...common, outDir: join(root, 'straight'), maxIterations: 6 });
    await trainPix2Pix({ ...common, outDir: join(root, 'split'), maxIterations: 3 });
    const resumed = await trainPix2Pix({ ...common, outDir: join(root, 'split'), maxIterations: 6, resume: true });
    assert.equal(resumed.iteration, 6);
    for (const file of ['G.safetensors', 'D.safetensors', 'trainer-state.safetensors', 'trainer-state.json']) {
      const a = await readFile(join(root, 'straight', 'checkpoints', 'iter-00000006', file));
      const b = await readFile(join(root, 'split', 'checkpoints', 'iter-00000006', file));
      if (file.endsWith('.json')) {
        const strip = (s: Buffer) => ({ ...JSON.parse(s.toString('utf8')), elapsedSeconds: 0 });
        assert.deepEqual(strip(b), strip(a), file);
      } else {
        assert.ok(a.equals(b), `${file} differs between the straight and the resumed run`);
      }
    }
    const log = (dir: string) => readFile(join(root, dir, 'loss-log.jsonl'), 'utf8').then((t) => t.trim().split('\n').map((l) => (JSON.parse(l) as Pix2PixLossLogLine).losses));
    assert.deepEqual(await log('split'), await log('straight'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
