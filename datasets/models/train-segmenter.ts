// Trains the shipped segmenter (datasets/models/segmenter) on a `nightshift synth` root: every
// scene's day render and its true night render, both with the scene's exact trainIds. The network
// (libs/cyclegan Segmenter) runs at a fixed --input size; each training image is a window of the
// render (zoom 1..--zoom, random position) area-resized to that size, its labels taken at each
// output pixel's centre, mirrored by a coin. Batches hold day and night in equal numbers. The loss is
// cross-entropy weighted per class by 1 / ln(c + p) (ENet's weighting, p the class's pixel share in
// the training labels at the input size), so that small things (persons, riders, bicycles) count.
// Adam (torch defaults), linear warm-up then the poly schedule.
// Writes to --out: model.onnx, segmenter.json (the card: input size, mean/std, classes) and
// train-log.jsonl (first line the config, then the loss every --log-every steps, last the totals).
// Usage: node --import tsx datasets/models/train-segmenter.ts --data <synth root> --out <dir>
//   [--input 256x128] [--width 12] [--depth 4] [--steps 640] [--batch 4] [--lr 0.005] [--warmup 30]
//   [--zoom 1.5] [--weight-c 1.02] [--seed 1] [--log-every 10]   (the defaults are train-segmenter.sh's recipe)
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import {
  IMAGENET_MEAN, IMAGENET_STD, RandomStream, Segmenter, SegmenterTrainer, modelHash, polyLearningRate, selectBackend, writeSegmenterCard,
  writeSegmenterOnnx, type SegmenterImage,
} from '@nightshift/cyclegan';
import { nightImagePath } from '@nightshift/datasets';
import {
  TRAIN_LABELS, cityscapesImagePath, cityscapesLabelPath, readGrey8, readRgb, resizeLabelsNearest, resizeRgbArea, type FrameRef, type RgbImage,
} from '@nightshift/labels';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    input: { type: 'string', default: '256x128' },
    width: { type: 'string', default: '12' },
    depth: { type: 'string', default: '4' },
    steps: { type: 'string', default: '640' },
    batch: { type: 'string', default: '4' },
    lr: { type: 'string', default: '0.005' },
    warmup: { type: 'string', default: '30' },
    zoom: { type: 'string', default: '1.5' },
    'weight-c': { type: 'string', default: '1.02' },
    seed: { type: 'string', default: '1' },
    'log-every': { type: 'string', default: '10' },
  },
});
const fail = (message: string): never => {
  console.error(`train-segmenter: ${message}`);
  process.exit(2);
};
const positiveInt = (name: string, text: string | undefined): number => {
  const v = Number(text);
  return Number.isInteger(v) && v > 0 ? v : fail(`--${name} must be a positive integer, got ${String(text)}`);
};
const positive = (name: string, text: string | undefined): number => {
  const v = Number(text);
  return Number.isFinite(v) && v > 0 ? v : fail(`--${name} must be a positive number, got ${String(text)}`);
};
if (!values.data || !values.out) fail('give --data <synth root> and --out <dir>');
const size = /^(\d+)x(\d+)$/.exec(String(values.input)) ?? fail(`--input must be WxH, got ${values.input}`);
const config = {
  input: { width: Number(size[1]), height: Number(size[2]) },
  architecture: { inputNc: 3, classes: TRAIN_LABELS.length, width: positiveInt('width', values.width), depth: positiveInt('depth', values.depth) },
  steps: positiveInt('steps', values.steps),
  batch: positiveInt('batch', values.batch),
  lr: positive('lr', values.lr),
  warmup: Number(values.warmup),
  zoom: positive('zoom', values.zoom),
  weightC: positive('weight-c', values['weight-c']),
  seed: positiveInt('seed', values.seed),
  mean: [...IMAGENET_MEAN] as [number, number, number],
  std: [...IMAGENET_STD] as [number, number, number],
};
if (config.zoom < 1) fail(`--zoom must be at least 1, got ${config.zoom}`);
if (!Number.isInteger(config.warmup) || config.warmup < 0 || config.warmup >= config.steps) fail(`--warmup must be a whole number of steps below --steps, got ${values.warmup}`);
if (config.batch % 2) fail(`--batch must be even (half day, half night), got ${config.batch}`);
const LOG_EVERY = positiveInt('log-every', values['log-every']);
const data = values.data!;
const out = values.out!;

interface Scene { ref: FrameRef; day: RgbImage; night: RgbImage; trainIds: Uint8Array }

/** Every scene of a synth root (its one split and city), in name order. */
async function readScenes(root: string): Promise<Scene[]> {
  const gt = join(root, 'gtFine');
  if (!existsSync(gt)) fail(`${root}: no gtFine folder (a \`nightshift synth\` root was expected)`);
  const scenes: Scene[] = [];
  for (const split of readdirSync(gt).sort()) {
    for (const city of readdirSync(join(gt, split)).sort()) {
      for (const f of readdirSync(join(gt, split, city)).filter((n) => n.endsWith('_gtFine_labelTrainIds.png')).sort()) {
        const ref: FrameRef = { split, city, id: f.slice(0, -'_gtFine_labelTrainIds.png'.length) };
        const day = await readRgb(cityscapesImagePath(root, ref));
        const night = await readRgb(nightImagePath(root, ref));
        const labels = await readGrey8(cityscapesLabelPath(root, ref, 'labelTrainIds'));
        if (night.width !== day.width || night.height !== day.height || labels.width !== day.width || labels.height !== day.height) {
          fail(`${cityscapesImagePath(root, ref)}: day, night and labels differ in size`);
        }
        scenes.push({ ref, day, night, trainIds: labels.data });
      }
    }
  }
  if (scenes.length === 0) fail(`${root}: no labelTrainIds files under gtFine`);
  return scenes;
}

/** ENet's class weights 1 / ln(c + p), p each class's share of the labelled pixels at the input size. */
function classWeights(scenes: readonly Scene[]): { weights: number[]; shares: number[] } {
  const counts = new Float64Array(config.architecture.classes);
  for (const s of scenes) {
    const ids = resizeLabelsNearest(s.trainIds, s.day.width, s.day.height, config.input.width, config.input.height);
    for (const v of ids) if (v < counts.length) counts[v]++;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const shares = [...counts].map((c) => c / total);
  return { shares, weights: shares.map((p) => 1 / Math.log(config.weightC + p)) };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

async function main(): Promise<void> {
  tfjsEnv().set('PROD', true);
  const started = performance.now();
  const backend = await selectBackend('wasm', { purpose: 'training' });
  const scenes = await readScenes(data);
  const { weights, shares } = classWeights(scenes);
  // Everything is written to a folder beside --out and moved in at the end, so that a run stopped
  // half way leaves the model that was there whole.
  mkdirSync(out, { recursive: true });
  const partial = mkdtempSync(join(dirname(resolve(out)), `.${basename(resolve(out))}.partial-`));
  const logPath = join(partial, 'train-log.jsonl');
  writeFileSync(logPath, `${JSON.stringify({
    config, scenes: scenes.length, firstScene: scenes[0].ref.id, lastScene: scenes.at(-1)!.ref.id,
    classWeights: weights.map((w) => round(w, 4)), classShares: shares.map((p) => round(p, 6)),
    backend: `${backend.name} (${backend.detail})`, cores: cpus().length, loadAverage: loadavg().map((l) => round(l, 1)),
  })}\n`);
  console.error(`train-segmenter: ${scenes.length} scenes (${scenes[0].ref.id}..${scenes.at(-1)!.ref.id}), ${config.steps} steps of ${config.batch} at ${config.input.width}x${config.input.height} on ${backend.name}`);

  const segmenter = new Segmenter(config.architecture, { seed: config.seed });
  const trainer = new SegmenterTrainer(segmenter, { classWeights: weights });
  const random = new RandomStream(config.seed);
  const { width: W, height: H } = config.input;
  let order: number[] = [];
  let window: number[] = [];
  const trainStart = performance.now();
  for (let step = 0; step < config.steps; step++) {
    const images: SegmenterImage[] = [];
    const labels: Uint8Array[] = [];
    const flip: boolean[] = [];
    for (let b = 0; b < config.batch; b++) {
      if (order.length === 0) order = random.permutation(scenes.length);
      const scene = scenes[order.pop()!];
      const frame = b % 2 === 0 ? scene.day : scene.night;
      const z = 1 + random.float() * (config.zoom - 1);
      const win = { width: frame.width / z, height: frame.height / z, x: 0, y: 0 };
      win.x = random.float() * (frame.width - win.width);
      win.y = random.float() * (frame.height - win.height);
      images.push(resizeRgbArea(frame, W, H, win));
      labels.push(resizeLabelsNearest(scene.trainIds, frame.width, frame.height, W, H, win));
      flip.push(random.float() < 0.5);
    }
    const lr = polyLearningRate(step, config.steps, config.lr, config.warmup);
    window.push(trainer.step({ images, labels, flip }, lr));
    if ((step + 1) % LOG_EVERY === 0 || step + 1 === config.steps) {
      const loss = window.reduce((a, b) => a + b, 0) / window.length;
      const seconds = (performance.now() - trainStart) / 1000;
      appendFileSync(logPath, `${JSON.stringify({ step: step + 1, loss: round(loss, 4), lr: round(lr, 6), seconds: round(seconds, 1) })}\n`);
      console.error(`  step ${step + 1}/${config.steps}: loss ${loss.toFixed(3)}, ${seconds.toFixed(0)} s`);
      window = [];
    }
  }
  trainer.dispose();
  const trainSeconds = (performance.now() - trainStart) / 1000;

  await writeSegmenterOnnx(segmenter, join(partial, 'model.onnx'));
  await writeSegmenterCard(partial, {
    format: 'nightshift-segmenter', version: 1, model: 'model.onnx', architecture: segmenter.architecture,
    input: config.input, mean: config.mean, std: config.std, classes: TRAIN_LABELS.map((l) => l.name),
    modelHash: modelHash(await segmenter.stateDict()),
  });
  appendFileSync(logPath, `${JSON.stringify({ done: true, trainSeconds: round(trainSeconds, 1), wallSeconds: round((performance.now() - started) / 1000, 1), loadAverage: loadavg().map((l) => round(l, 1)) })}\n`);
  for (const f of ['model.onnx', 'segmenter.json', 'train-log.jsonl']) renameSync(join(partial, f), join(out, f));
  rmSync(partial, { recursive: true });
  console.error(`train-segmenter: ${trainSeconds.toFixed(0)} s training; wrote ${out}/model.onnx, segmenter.json, train-log.jsonl`);
  segmenter.dispose();
}

await main();
