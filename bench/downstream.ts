// What a night twin does for a segmenter, on synthetic truth. A small Segmenter (libs/cyclegan,
// trained on wasm with the project's kernels) learns from N synthetic day scenes under five regimes,
// the same number of steps each, and is scored (Cityscapes mean IoU) on held-out true night renders
// and held-out day renders:
//   a  day only
//   b  day + night twins from a real `nightshift night` build (--model, default generator), --on-flag ignore
//   c  as b with --on-flag keep
//   d  day + photometric-baseline twins (gamma, per-channel gain, noise fitted on training pairs)
//   e  day + the true night renders of the same scenes (upper bound)
// Scenes are rendered and translated at --width x --height (512x256: the scale the default generator
// was trained at), then every image is shrunk by --downsample (box average) and every label map by
// taking the pixel nearest each block's centre, for the segmenter (training and scoring) to run at a
// size two CPU cores can train in the time.
// Usage: node --import tsx bench/downstream.ts [--scenes 100] [--test-scenes 30] [--width 512 --height 256]
//   [--downsample 4] [--steps 300] [--batch 4] [--seeds 3] [--seg-width 8] [--depth 3] [--lr 0.005]
//   [--regimes abcde] [--model datasets/models/default] [--work <dir>] [--keep-work] [--score-only]
// Each trained segmenter is exported to ONNX and scored by `nightshift evaluate` (evaluateDataset) on
// two Cityscapes roots of the shrunk held-out scenes: their day renders and their true night renders.
// --work keeps the datasets, builds, those roots and each run's segmenter (segmenter-<regime>-seed<k>.onnx);
// --score-only scores the segmenters a previous run left in --work again, without training.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import { polyLearningRate, RandomStream, Segmenter, SegmenterTrainer, selectBackend, writeSegmenterOnnx, type SegmenterImage } from '@nightshift/cyclegan';
import { SYNTHETIC_CITY, nightImagePath, writeSyntheticCityscapes } from '@nightshift/datasets';
import {
  cityscapesImagePath, cityscapesLabelPath, readGrey16, readGrey8, readRgb, resizeLabelsNearest, resizeRgbArea, writeCityscapesLabels, writeRgb, type FrameRef,
} from '@nightshift/labels';
import { evaluateDataset } from '../apps/augment/src/evaluate/index.ts';
import { fitPhotometric, photometricBaseline, describeFit } from './lib/image-quality.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    scenes: { type: 'string', default: '100' },
    'test-scenes': { type: 'string', default: '30' },
    width: { type: 'string', default: '512' },
    height: { type: 'string', default: '256' },
    downsample: { type: 'string', default: '4' },
    steps: { type: 'string', default: '300' },
    batch: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '3' },
    'seg-width': { type: 'string', default: '8' },
    depth: { type: 'string', default: '3' },
    lr: { type: 'string', default: '0.005' },
    regimes: { type: 'string', default: 'abcde' },
    model: { type: 'string', default: join(REPO, 'datasets', 'models', 'default') },
    work: { type: 'string' },
    'keep-work': { type: 'boolean', default: false },
    'score-only': { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${String(values[name])}`);
  return v;
};
const N = int('scenes'), TEST = int('test-scenes'), WIDTH = int('width'), HEIGHT = int('height');
const FACTOR = int('downsample');
if (WIDTH % FACTOR || HEIGHT % FACTOR) throw new Error(`--downsample ${FACTOR} must divide --width ${WIDTH} and --height ${HEIGHT}`);
const SW = WIDTH / FACTOR, SH = HEIGHT / FACTOR;
const STEPS = int('steps'), BATCH = int('batch'), SEEDS = int('seeds');
const ARCH = { width: int('seg-width'), depth: int('depth') };
const LR = Number(values.lr);
const REGIMES = [...String(values.regimes)];
// Training scenes and held-out scenes never overlap each other nor the default model's training
// scenes (0..399) or the default-model bench's validation scenes (400000..).
const TRAIN_FIRST_SEED = 600000;
const TEST_FIRST_SEED = 500000;
const PHOTOMETRIC_FIT_SCENES = Math.min(20, N);

const REGIME_NAMES: Record<string, string> = {
  a: 'day only',
  b: 'day + nightshift twins, --on-flag ignore',
  c: 'day + nightshift twins, --on-flag keep',
  d: 'day + photometric twins',
  e: 'day + true night renders (upper bound)',
};
for (const r of REGIMES) if (!(r in REGIME_NAMES)) throw new Error(`--regimes: unknown regime ${r}; valid: ${Object.keys(REGIME_NAMES).join('')}`);

interface Sample { image: SegmenterImage; trainIds: Uint8Array }

const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

function nightshift(args: string[]): void {
  const r = spawnSync(process.execPath, [join(REPO, 'apps/augment/bin/nightshift.mjs'), ...args], { encoding: 'utf8' });
  // 3: built, but samples were skipped; the bench then stops on the missing file and names it.
  if (r.status !== 0) throw new Error(`nightshift ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
}

const refs = (first: number, count: number, split: string): FrameRef[] =>
  Array.from({ length: count }, (_, i) => ({ split, city: SYNTHETIC_CITY, id: `${SYNTHETIC_CITY}_${String(Math.floor((first + i) / 1e6)).padStart(6, '0')}_${String((first + i) % 1e6).padStart(6, '0')}` }));

/** Box average of FACTORxFACTOR blocks (area resize by a whole factor). */
const shrinkImage = (image: SegmenterImage): SegmenterImage => resizeRgbArea(image, SW, SH);

/** The value at each block's centre pixel (labels are never averaged). */
const shrinkLabels = <T extends Uint8Array | Uint16Array>(labels: T): T => resizeLabelsNearest(labels, WIDTH, HEIGHT, SW, SH);

const imageAt = async (path: string): Promise<SegmenterImage> => shrinkImage(await readRgb(path));

async function trainIdsOf(root: string, ref: FrameRef): Promise<Uint8Array> {
  return shrinkLabels((await readGrey8(cityscapesLabelPath(root, ref, 'labelTrainIds'))).data);
}

/** Training pools of every regime that needs them, from real files. */
async function prepareTraining(work: string): Promise<{ pools: Record<string, Sample[]>; notes: string[] }> {
  const root = join(work, 'train');
  const trainRefs = refs(TRAIN_FIRST_SEED, N, 'train');
  if (!existsSync(root)) {
    log(`synthesising ${N} training scenes (${WIDTH}x${HEIGHT})`);
    await writeSyntheticCityscapes(root, { count: N, firstSeed: TRAIN_FIRST_SEED, width: WIDTH, height: HEIGHT, faults: false, split: 'train' });
  }
  const day: Sample[] = [];
  for (const ref of trainRefs) day.push({ image: await imageAt(cityscapesImagePath(root, ref)), trainIds: await trainIdsOf(root, ref) });
  const pools: Record<string, Sample[]> = { a: day };
  const notes: string[] = [];
  for (const [regime, policy] of [['b', 'ignore'], ['c', 'keep']] as const) {
    if (!REGIMES.includes(regime)) continue;
    const out = join(work, `night-${policy}`);
    log(`nightshift night --on-flag ${policy} on the ${N} training scenes`);
    nightshift(['night', '--input', root, '--output', out, '--output-format', 'cityscapes', '--on-flag', policy, '--model', String(values.model)]);
    const built = join(out, 'cityscapes');
    const twins: Sample[] = [];
    let ignored = 0;
    for (const ref of trainRefs) {
      const trainIds = await trainIdsOf(built, ref);
      const dayIds = day[twins.length].trainIds;
      for (let i = 0; i < trainIds.length; i++) if (trainIds[i] === 255 && dayIds[i] !== 255) ignored++;
      twins.push({ image: await imageAt(cityscapesImagePath(built, ref)), trainIds });
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { model: { path: string; hash: string }; flags: { total: number } };
    notes.push(`(${regime}) nightshift night --on-flag ${policy}, model ${summary.model.path} (hash ${summary.model.hash.slice(0, 12)}): ` +
      `${summary.flags.total} objects flagged, ${(100 * ignored / (N * SW * SH)).toFixed(2)}% of the twins' pixels ignored that the day labels keep`);
    pools[regime] = [...day, ...twins];
  }
  if (REGIMES.includes('d') || REGIMES.includes('e')) {
    const nights: SegmenterImage[] = [];
    for (const ref of trainRefs) nights.push(await readRgb(nightImagePath(root, ref)));
    const dayFull: SegmenterImage[] = [];
    for (const ref of trainRefs.slice(0, PHOTOMETRIC_FIT_SCENES)) dayFull.push(await readRgb(cityscapesImagePath(root, ref)));
    if (REGIMES.includes('e')) pools.e = [...day, ...nights.map((image, i) => ({ image: shrinkImage(image), trainIds: day[i].trainIds }))];
    if (REGIMES.includes('d')) {
      // Fitted and applied at the render size, like the generator, then shrunk.
      const fit = fitPhotometric(dayFull.map((input, i) => ({ input, target: nights[i] })));
      const twin = photometricBaseline(fit);
      const twins: Sample[] = [];
      for (const [i, ref] of trainRefs.entries()) twins.push({ image: shrinkImage(twin(await readRgb(cityscapesImagePath(root, ref)))), trainIds: day[i].trainIds });
      pools.d = [...day, ...twins];
      notes.push(`(d) photometric baseline fitted on the first ${PHOTOMETRIC_FIT_SCENES} training pairs: ${describeFit(fit)}`);
    }
  }
  return { pools, notes };
}

/** The held-out scenes, shrunk, as two Cityscapes roots: day renders and true night renders, same labels. */
async function prepareTest(work: string): Promise<{ day: string; night: string }> {
  const source = join(work, 'test');
  if (!existsSync(source)) {
    log(`synthesising ${TEST} held-out scenes`);
    await writeSyntheticCityscapes(source, { count: TEST, firstSeed: TEST_FIRST_SEED, width: WIDTH, height: HEIGHT, faults: false, split: 'val' });
  }
  const roots = { day: join(work, `test-${SW}x${SH}-day`), night: join(work, `test-${SW}x${SH}-night`) };
  if (existsSync(roots.night)) return roots;
  for (const ref of refs(TEST_FIRST_SEED, TEST, 'val')) {
    const labels = {
      width: SW, height: SH,
      semantic: shrinkLabels((await readGrey8(cityscapesLabelPath(source, ref, 'labelIds'))).data),
      instances: shrinkLabels((await readGrey16(cityscapesLabelPath(source, ref, 'instanceIds'))).data),
    };
    for (const [root, image] of [[roots.day, cityscapesImagePath(source, ref)], [roots.night, nightImagePath(source, ref)]]) {
      mkdirSync(dirname(cityscapesImagePath(root, ref)), { recursive: true });
      await writeRgb(cityscapesImagePath(root, ref), await imageAt(image));
      await writeCityscapesLabels(root, ref, labels, ['labelIds', 'instanceIds']);
    }
  }
  return roots;
}

/** Mean IoU (Cityscapes averageScoreClasses) of an exported segmenter, by `nightshift evaluate`. */
async function meanIou(model: string, root: string): Promise<number> {
  const r = await evaluateDataset({ dataset: root, segmenter: model, segmenterOptions: { provider: 'cpu', threads: 1 } });
  return r.evaluation.averageScoreClasses;
}

/** STEPS batches drawn epoch by epoch from a seeded shuffle of the pool, each image mirrored by a coin. */
function train(pool: readonly Sample[], seed: number): { segmenter: Segmenter; lastLoss: number; seconds: number } {
  const segmenter = new Segmenter(ARCH, { seed });
  const trainer = new SegmenterTrainer(segmenter);
  const random = new RandomStream(seed);
  let order: number[] = [];
  let lastLoss = NaN;
  const start = performance.now();
  for (let step = 0; step < STEPS; step++) {
    const batch: Sample[] = [];
    while (batch.length < BATCH) {
      if (order.length === 0) order = random.permutation(pool.length);
      batch.push(pool[order.pop()!]);
    }
    const lr = polyLearningRate(step, STEPS, LR);
    lastLoss = trainer.step({ images: batch.map((s) => s.image), labels: batch.map((s) => s.trainIds), flip: batch.map(() => random.float() < 0.5) }, lr);
    if ((step + 1) % Math.max(1, Math.round(STEPS / 5)) === 0) log(`  step ${step + 1}/${STEPS}: loss ${lastLoss.toFixed(3)}`);
  }
  trainer.dispose();
  return { segmenter, lastLoss, seconds: (performance.now() - start) / 1000 };
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: number[]): number => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (x: number): string => (100 * x).toFixed(1);

async function main(): Promise<void> {
  tfjsEnv().set('PROD', true);
  const started = performance.now();
  const load0 = loadavg();
  const work = values.work ?? mkdtempSync(join(tmpdir(), 'nightshift-downstream-'));
  mkdirSync(work, { recursive: true });
  const backend = await selectBackend('wasm', { purpose: 'training' });
  const scoreOnly = values['score-only'];
  if (scoreOnly && !values.work) throw new Error('--score-only scores the segmenters of a previous run: name its --work folder');
  const { pools, notes } = scoreOnly ? { pools: {} as Record<string, Sample[]>, notes: [] } : await prepareTraining(work);
  const test = await prepareTest(work);
  const prepSeconds = (performance.now() - started) / 1000;
  log(`data ready in ${prepSeconds.toFixed(0)} s`);

  const results: Record<string, { day: number[]; night: number[]; seconds: number[]; loss: number[] }> = {};
  for (const regime of REGIMES) {
    results[regime] = { day: [], night: [], seconds: [], loss: [] };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const model = join(work, `segmenter-${regime}-seed${seed}.onnx`);
      let lastLoss = NaN, seconds = NaN;
      if (!scoreOnly) {
        const trained = train(pools[regime], seed);
        await writeSegmenterOnnx(trained.segmenter, model);
        trained.segmenter.dispose();
        ({ lastLoss, seconds } = trained);
      }
      const day = await meanIou(model, test.day);
      const night = await meanIou(model, test.night);
      Object.entries({ day, night, seconds, loss: lastLoss }).forEach(([k, v]) => results[regime][k as 'day'].push(v));
      log(`(${regime}) seed ${seed}: day ${pct(day)}, night ${pct(night)} mIoU` + (scoreOnly ? '' : `; final loss ${lastLoss.toFixed(3)}; ${seconds.toFixed(0)} s training`));
    }
  }

  const wall = (performance.now() - started) / 1000;
  if (scoreOnly) console.log(`The segmenters a previous run left in ${work} (its command gives N, steps and the rest),`);
  else {
    console.log(`Segmenter (width ${ARCH.width}, depth ${ARCH.depth}) trained on ${N} synthetic day scenes (seeds ${TRAIN_FIRST_SEED}..) plus each regime's twins,`);
    console.log(`scenes rendered and translated at ${WIDTH}x${HEIGHT}, shrunk ${FACTOR}x to ${SW}x${SH};`);
    console.log(`${STEPS} steps of ${BATCH} images (random mirror), Adam, lr ${LR} poly decay, on tfjs ${backend.name} (${backend.detail});`);
  }
  console.log(`scored by nightshift evaluate (ONNX export) on ${TEST} held-out scenes (seeds ${TEST_FIRST_SEED}..): Cityscapes mean IoU (%) over the classes present, mean ± standard deviation over ${SEEDS} seeds.`);
  for (const n of notes) console.log(n);
  console.log('');
  const rows = REGIMES.map((r) => {
    const { day, night } = results[r];
    return [r, REGIME_NAMES[r], `${pct(mean(night))} ± ${pct(std(night))}`, night.map(pct).join(' '), `${pct(mean(day))} ± ${pct(std(day))}`, day.map(pct).join(' ')];
  });
  const header = ['', 'training data', 'night mIoU', 'night per seed', 'day mIoU', 'day per seed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
  const trainSeconds = Object.values(results).flatMap((r) => r.seconds);
  console.log(`\nwall time ${(wall / 60).toFixed(1)} min (data ${prepSeconds.toFixed(0)} s` + (scoreOnly ? '' : `, training ${mean(trainSeconds).toFixed(0)} s per run`) + ');' +
    ` load average ${load0.map((l) => l.toFixed(1)).join('/')} at the start, ${loadavg().map((l) => l.toFixed(1)).join('/')} at the end, ${cpus().length} cores`);
  if (values.work || values['keep-work']) console.log(`datasets, builds and segmenters (ONNX) kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

await main();
