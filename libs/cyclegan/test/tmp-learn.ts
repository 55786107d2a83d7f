import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCycleGan, listImages, loadTrainingImage } from '../src/train/index.ts';
import { loadGenerator } from '../src/index.ts';
import { writeUnpairedFolders } from './train-synthetic-data.ts';
await tf.setBackend('cpu');
const root = await mkdtemp(join(tmpdir(), 'learn-'));
const f = await writeUnpairedFolders(join(root, 'data'), { a: 8, b: 8 }, 32);
const iters = Number(process.argv[2] ?? 40); const lr = Number(process.argv[3] ?? 2e-4);
const t0 = performance.now();
const cyc: number[] = [];
const r = await trainCycleGan({ ...f, outDir: join(root, 'out'), architecture: { ngf: 4, nBlocks: 1, ndf: 8, nLayers: 2 },
  preprocess: 'none', flip: true, nEpochs: 1000, nEpochsDecay: 0, maxIterations: iters, lr, seed: 3, logEvery: 10, sampleEvery: 0, checkpointEvery: 0,
  onProgress: (p) => { cyc.push(p.losses.cycle_A + p.losses.cycle_B); } });
console.log('s', ((performance.now() - t0) / 1000).toFixed(1));
const w = 10; const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log('cycle first', avg(cyc.slice(0, w)).toFixed(3), 'last', avg(cyc.slice(-w)).toFixed(3));
const G = await loadGenerator(r.checkpoint, { which: 'G_A' });
const stats = (xs: Float32Array[]) => { const m = [0, 0, 0]; let n = 0; for (const x of xs) for (let i = 0; i < x.length; i += 3) { for (let c = 0; c < 3; c++) m[c] += x[i + c]; n++; } return m.map((v) => v / n); };
const load = async (dir: string) => Promise.all((await listImages(dir)).files.map(async (p) => (await loadTrainingImage(p, { cropU: 0, cropV: 0, flip: false }, { preprocess: 'none', loadSize: 32, cropSize: 32, flip: false })).data));
const A = await load(f.dirA), B = await load(f.dirB);
const fake = A.map((a) => tf.tidy(() => G.apply(tf.tensor4d(a, [1, 32, 32, 3])).dataSync() as Float32Array));
const [mA, mB, mF] = [stats(A), stats(B), stats(fake)];
const dist = (p: number[], q: number[]) => Math.hypot(...p.map((v, i) => v - q[i]));
console.log('mean A', mA.map((v) => v.toFixed(2)), 'B', mB.map((v) => v.toFixed(2)), 'G_A(A)', mF.map((v) => v.toFixed(2)), 'dist A-B', dist(mA, mB).toFixed(3), 'G-B', dist(mF, mB).toFixed(3));
await rm(root, { recursive: true });
