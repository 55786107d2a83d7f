// pix2pix (paired) vs CycleGAN (unpaired) vs a fitted photometric baseline on synthetic day/night PAIRS.
//   node --import tsx bench/pix2pix-vs-cyclegan.ts [--iterations 40] [--width 128] [--height 64]
//        [--train 16] [--test 50] [--ngf 8] [--num-downs 6] [--blocks 3] [--out /tmp/p2p-bench] [--backend auto]
// Training scenes are seeds 1..train, held-out scenes 100000..100000+test-1 (generateScene, rendered by
// day and by night from the same seed: the night render is the ground truth). Both models train for
// the same number of iterations (batch 1) at the same image size, tiny architectures, on the training
// backend `--backend` picks (auto: the fastest that trains here, wasm on a CPU machine). The default
// budget (40 iterations) is a smoke-level run, far from converged; raise --iterations for a meaningful
// comparison (docs/pix2pix.md has the table of a longer run). The photometric
// baseline (libs/consistency photometricNight) gets gamma and per-channel gains fitted by least squares
// on the training pairs and its noise level from the night renders' high-frequency residual.
// Reported per method on the held-out scenes: PSNR and SSIM against the true night renders, and the
// consistency checks' flag rate (share of scenes with at least one flag; source = the day render).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { generateScene, renderSceneSync, sceneLabels } from '@nightshift/datasets';
import { checkConsistency } from '@nightshift/consistency';
import { describeFit, fitPhotometric, photometricBaseline, psnr, ssim, type RgbImage } from './lib/image-quality.ts';
import {
  loadGenerator, loadTranslationGenerator, selectBackend, TfjsTranslator, trainCycleGan, trainPix2Pix, type Translator,
} from '../libs/cyclegan/src/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${args[i + 1]}`);
  return v;
};
const ITERATIONS = opt('--iterations', 40);
const WIDTH = opt('--width', 128);
const HEIGHT = opt('--height', 64);
const N_TRAIN = opt('--train', 16);
const N_TEST = opt('--test', 50);
const NGF = opt('--ngf', 8);
const NUM_DOWNS = opt('--num-downs', 6);
const BLOCKS = opt('--blocks', 3);
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : '/tmp/p2p-bench';
const BACKEND = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'auto';

interface Pair { seed: number; day: RgbImage; night: RgbImage }
const render = (seed: number): Pair => {
  const scene = generateScene(seed, { width: WIDTH, height: HEIGHT });
  return { seed, day: renderSceneSync(scene, 'day'), night: renderSceneSync(scene, 'night') };
};

// ---------------------------------------------------------------- main
async function writePng(path: string, im: RgbImage): Promise<void> {
  await sharp(im.data, { raw: { width: im.width, height: im.height, channels: 3 } }).png().toFile(path);
}

async function evaluate(name: string, translate: (day: RgbImage) => Promise<RgbImage>, test: readonly Pair[]) {
  let p = 0, s = 0, flagged = 0;
  for (const pair of test) {
    const out = await translate(pair.day);
    p += psnr(out, pair.night);
    s += ssim(out, pair.night);
    const labels = sceneLabels(generateScene(pair.seed, { width: WIDTH, height: HEIGHT }));
    if (checkConsistency({ sampleId: `${name}-${pair.seed}`, source: pair.day, output: out, labels: { ...labels } }).flags.length > 0) flagged++;
  }
  return { psnr: p / test.length, ssim: s / test.length, flagRate: flagged / test.length };
}

async function main(): Promise<void> {
  const backend = await selectBackend(BACKEND, { purpose: 'training' });
  console.log(`backend: ${backend.name} (${backend.reason})`);
  await rm(OUT, { recursive: true, force: true });
  const train = Array.from({ length: N_TRAIN }, (_, i) => render(1 + i));
  const test = Array.from({ length: N_TEST }, (_, i) => render(100000 + i));
  const pairsDir = join(OUT, 'pairs');
  for (const dir of ['A', 'B']) await mkdir(join(pairsDir, dir), { recursive: true });
  for (const { seed, day, night } of train) {
    await writePng(join(pairsDir, 'A', `s${seed}.png`), day);
    await writePng(join(pairsDir, 'B', `s${seed}.png`), night);
  }
  const common = { maxIterations: ITERATIONS, batchSize: 1, preprocess: 'none' as const, flip: true, checkpointEvery: 0, sampleEvery: 0, logEvery: 0, seed: 1 };
  const rows: Array<{ method: string; trainSeconds: number; psnr: number; ssim: number; flagRate: number }> = [];

  const t0 = performance.now();
  const p2p = await trainPix2Pix({ ...common, pairsDir, outDir: join(OUT, 'pix2pix'), architecture: { ngf: NGF, numDowns: NUM_DOWNS, ndf: NGF, nLayers: 3 } });
  const p2pSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  // CycleGAN ignores the pairing: domain A = the day renders, domain B = the night renders.
  const cg = await trainCycleGan({ ...common, dirA: join(pairsDir, 'A'), dirB: join(pairsDir, 'B'), outDir: join(OUT, 'cyclegan'), architecture: { ngf: NGF, nBlocks: BLOCKS, ndf: NGF } });
  const cgSeconds = (performance.now() - t1) / 1000;

  const run = async (translator: Translator) => async (day: RgbImage) => (await translator.translate([day]))[0];
  const p2pTranslator = await TfjsTranslator.create(await loadTranslationGenerator(p2p.checkpoint), { ownsGenerator: true });
  rows.push({ method: 'pix2pix (U-Net, paired)', trainSeconds: p2pSeconds, ...(await evaluate('pix2pix', await run(p2pTranslator), test)) });
  p2pTranslator.dispose();
  const cgTranslator = await TfjsTranslator.create(await loadGenerator(cg.checkpoint, { which: 'G_A' }), { ownsGenerator: true });
  rows.push({ method: 'CycleGAN (ResNet, unpaired)', trainSeconds: cgSeconds, ...(await evaluate('cyclegan', await run(cgTranslator), test)) });
  cgTranslator.dispose();

  const t2 = performance.now();
  const fit = fitPhotometric(train.map((p) => ({ input: p.day, target: p.night })));
  const fitSeconds = (performance.now() - t2) / 1000;
  const photometric = photometricBaseline(fit);
  rows.push({ method: `photometric fit (${describeFit(fit)})`, trainSeconds: fitSeconds, ...(await evaluate('photometric', async (d) => photometric(d), test)) });
  rows.push({ method: 'true night render (reference)', trainSeconds: 0, ...(await evaluate('truth', async (d) => test.find((p) => p.day === d)!.night, test)) });

  console.log(`\n${ITERATIONS} iterations each, batch 1, ${WIDTH}x${HEIGHT}, ${N_TRAIN} training pairs, ${N_TEST} held-out scenes, tfjs ${tf.getBackend()} backend`);
  console.log(`pix2pix: unet ngf ${NGF} numDowns ${NUM_DOWNS}, batch norm, dropout; CycleGAN: resnet ngf ${NGF} ${BLOCKS} blocks\n`);
  const header = ['method', 'train s', 'PSNR dB', 'SSIM', 'flag rate'];
  const table = rows.map((r) => [r.method, r.trainSeconds.toFixed(1), r.psnr.toFixed(2), r.ssim.toFixed(4), `${(100 * r.flagRate).toFixed(0)}%`]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log([line(header), line(widths.map((n) => '-'.repeat(n))), ...table.map(line)].join('\n'));
  await writeFile(join(OUT, 'results.json'), JSON.stringify({ iterations: ITERATIONS, width: WIDTH, height: HEIGHT, train: N_TRAIN, test: N_TEST, rows }, null, 2) + '\n');
}

await main();
