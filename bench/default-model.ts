// The default generators against the truth no real dataset has: on held-out synthetic scenes, how
// close is G_A(day) to the true night render (and G_B(night) to the true day render), next to the
// photometric baseline (gamma, per-channel gain, noise) fitted on training scenes, the generators of
// the previous default (the ResNet of 2026-11-27), a perfect sampler and doing nothing (and a bilateral
// model once more with its light layer off, to show what its added light makes or costs); with the time
// each took to train (the last loss-log line of its folder). Then the speed of each model on one
// 2048x1024 frame with the onnx engine (cpu provider), in the same run.
// Usage: node --import tsx bench/default-model.ts [--model datasets/models/default] [--compare datasets/models/resnet-2026-11-27]
//        [--scenes 50] [--first-seed 500000] [--speed-runs 5] [--picture errors.jpg]
// --picture draws where day→night goes wrong (PNG or JPEG, by the file name), for the first 3 held-out
// scenes, a row each: the day render, the true night, the photometric baseline, the new G_A, then the
// baseline's and G_A's absolute error against the true night (the night images 3x, the errors 2x brighter).
// (--first-seed 400000: validation scenes, for choosing among a run's checkpoints without touching the held-out ones)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { OnnxTranslator, RandomStream, exportGeneratorOnnx, generatorKindOf, loadGenerator, readCheckpointConfig, selectBackend } from '@nightshift/cyclegan';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import { generateScene, renderSceneSync, type Scene } from '@nightshift/datasets';
import { describeFit, fitPhotometric, photometricBaseline, psnr, ssim, type ImagePair, type RgbImage } from './lib/image-quality.ts';
import { interleavedMedianMs } from './lib/median-ms.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(REPO, 'datasets', 'models', 'default') },
    compare: { type: 'string', default: join(REPO, 'datasets', 'models', 'resnet-2026-11-27') },
    'speed-runs': { type: 'string', default: '5' },
    scenes: { type: 'string', default: '50' },
    'fit-scenes': { type: 'string', default: '20' },
    'first-seed': { type: 'string', default: '500000' },
    picture: { type: 'string' },
  },
});
const SCENES = Number(values.scenes);
const FIT_SCENES = Number(values['fit-scenes']);
// Training used day seeds 0..199 and night seeds 200..399 (datasets/models/README.md); held-out scenes start far beyond.
const HELD_OUT_FIRST_SEED = Number(values['first-seed']);
const SIZE = { width: 512, height: 256 };

const pair = (seed: number): { scene: Scene; day: RgbImage; night: RgbImage } => {
  const scene = generateScene(seed, SIZE);
  return { scene, day: renderSceneSync(scene, 'day'), night: renderSceneSync(scene, 'night') };
};

/**
 * What a perfect unpaired day→night generator could reach: it knows the scene and every light but not
 * which windows happen to be lit (a coin per window, unknowable from the day image) nor the sensor
 * noise. The true scene is rendered with each building's lit windows shuffled among its windows (same
 * count and colours) and another noise seed.
 */
function perfectSampler(scene: Scene, seed: number): RgbImage {
  const other = structuredClone(scene);
  other.noiseSeed = (scene.noiseSeed + 0x9e3779b9) >>> 0;
  const random = new RandomStream(seed);
  for (const item of other.items) {
    if (item.name !== 'building') continue;
    // Window panes: the building's graded parts without grain (the facade has grain).
    const windows = item.parts.filter((p) => p.material.gradient && p.material.grain === undefined);
    const emits = windows.map((p) => p.material.emit);
    const order = random.permutation(windows.length);
    windows.forEach((p, i) => { p.material.emit = emits[order[i]]; });
  }
  return renderSceneSync(other, 'night');
}

/**
 * A bilateral generator with its light layer switched off: the light head's weights zeroed and its
 * stored bias -10 (times its gain of 10, the logits sit below -100, so the added light is 0). The
 * row it gives says how much of the generator's error the light it adds makes or saves.
 */
async function switchOffLight(generator: Awaited<ReturnType<typeof loadGenerator>>): Promise<void> {
  const tensors = await generator.stateDict();
  generator.loadStateDict(new Map(tensors.map((t) => [t.name,
    t.name === 'light.2.weight' ? new Float32Array(t.data.length) : t.name === 'light.2.bias' ? t.data.map(() => -10) : t.data])));
}

async function generatorTranslator(model: string, which: 'G_A' | 'G_B', { lightOff = false } = {}): Promise<OnnxTranslator> {
  await selectBackend('cpu');
  const generator = await loadGenerator(model, { which });
  if (lightOff) await switchOffLight(generator);
  const onnx = await exportGeneratorOnnx(generator);
  generator.dispose();
  return OnnxTranslator.create(onnx, { provider: 'cpu' });
}

/** The model's kind and training time, from its config.json and the last line of its loss-log.jsonl. */
async function describeModel(model: string): Promise<{ kind: string; minutes: string }> {
  const { architecture } = await readCheckpointConfig(join(model, 'config.json'));
  const generator = generatorKindOf(architecture);
  const { ngf, nBlocks } = architecture;
  const log = readFileSync(join(model, 'loss-log.jsonl'), 'utf8').trim().split('\n');
  const last = JSON.parse(log[log.length - 1]) as { iteration: number; time: number };
  return { kind: `${generator} ngf ${ngf}, ${nBlocks} ${generator === 'resnet' ? 'blocks' : 'grid convs'}, ${last.iteration} it`, minutes: (last.time / 60).toFixed(1) };
}

/**
 * Median milliseconds of translating one 2048x1024 frame with each of the translators (after one
 * warm-up each; they take turns, run by run, so that the machine's load falls on them alike).
 */
async function speed(translators: readonly OnnxTranslator[], runs: number): Promise<number[]> {
  const frame = renderSceneSync(generateScene(HELD_OUT_FIRST_SEED, { width: 2048, height: 1024 }), 'day');
  return interleavedMedianMs(runs, translators.map((t) => () => t.translate([frame])));
}

/**
 * The mean of the per-scene PSNR differences a - b, its standard error and the scenes where a is better:
 * whether a margin between two means is more than the spread of the scenes.
 */
function pairedPsnr(a: readonly number[], b: readonly number[]): string {
  const d = a.map((v, i) => v - b[i]);
  const mean = d.reduce((x, y) => x + y, 0) / d.length;
  const se = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (d.length - 1) / d.length);
  return `${mean >= 0 ? '+' : ''}${mean.toFixed(2)} dB (standard error ${se.toFixed(2)}), better on ${d.filter((v) => v > 0).length} of ${d.length} scenes`;
}

const PICTURE_SCENES = 3;

/** The rows of the --picture grid (see the usage above), written to `file`. */
async function writeErrorPicture(file: string, scenes: readonly { day: RgbImage; night: RgbImage }[], baseline: (image: RgbImage) => RgbImage, model: OnnxTranslator): Promise<void> {
  const scaled = (data: Uint8Array, gain: number): Buffer => Buffer.from(data.map((v) => Math.min(255, v * gain)));
  const error = (image: RgbImage, truth: RgbImage): Buffer => Buffer.from(image.data.map((v, i) => Math.min(255, 2 * Math.abs(v - truth.data[i]))));
  const tiles: Buffer[][] = [];
  for (const { day, night } of scenes) {
    const fit = baseline(day), out = (await model.translate([day]))[0];
    tiles.push([Buffer.from(day.data), scaled(night.data, 3), scaled(fit.data, 3), scaled(out.data, 3), error(fit, night), error(out, night)]);
  }
  const { width, height } = SIZE;
  await sharp({ create: { width: width * tiles[0].length, height: height * tiles.length, channels: 3, background: '#000' } })
    .composite(tiles.flatMap((row, r) => row.map((input, c) => ({ input, raw: { width, height, channels: 3 as const }, left: c * width, top: r * height }))))
    .toFile(file);
}

async function main(): Promise<void> {
  tfjsEnv().set('PROD', true); // silences the "install tfjs-node" banner
  const fitPairs = Array.from({ length: FIT_SCENES }, (_, i) => pair(i));
  const heldOut = Array.from({ length: SCENES }, (_, i) => pair(HELD_OUT_FIRST_SEED + i));
  const rows: string[][] = [];
  const pairedLines: string[] = [];
  // Each model's G_A, kept from the day→night rows for the speed runs.
  let dayToNight: OnnxTranslator[] = [];
  const models = [
    { label: 'new', path: values.model!, ...(await describeModel(values.model!)) },
    { label: 'previous', path: values.compare!, ...(await describeModel(values.compare!)) },
  ];
  for (const [direction, which, from, to] of [['day→night', 'G_A', 'day', 'night'], ['night→day', 'G_B', 'night', 'day']] as const) {
    const training: ImagePair[] = fitPairs.map((p) => ({ input: p[from], target: p[to] }));
    const fitStart = performance.now();
    const fit = fitPhotometric(training);
    const fitMinutes = ((performance.now() - fitStart) / 60000).toFixed(2);
    const baseline = photometricBaseline(fit);
    const translators = await Promise.all(models.map((m) => generatorTranslator(m.path, which)));
    const lightOff = models[0].kind.startsWith('bilateral') ? await generatorTranslator(models[0].path, which, { lightOff: true }) : undefined;
    type Method = [string, string, (scene: (typeof heldOut)[number]) => Promise<RgbImage> | RgbImage];
    const methods: Method[] = [
      ['no change', '-', (scene) => scene[from]],
      [`photometric baseline (${describeFit(fit)})`, fitMinutes, (scene) => baseline(scene[from])],
      ...models.map((m, i): Method => [`${m.label} ${which} (${m.kind})`, m.minutes, async (scene) => (await translators[i].translate([scene[from]]))[0]]),
      ...(lightOff ? [[`${models[0].label} ${which}, light layer off`, '-', async (scene) => (await lightOff.translate([scene[from]]))[0]] as Method] : []),
      ...(to === 'night' ? [['perfect sampler: true scene, lit windows shuffled, other noise', '-', (scene) => perfectSampler(scene.scene, scene.scene.noiseSeed)] as Method] : []),
    ];
    const perScene: number[][] = [];
    for (const [name, minutes, translate] of methods) {
      let s = 0;
      const scenePsnr: number[] = [];
      for (const scene of heldOut) {
        const out = await translate(scene);
        scenePsnr.push(psnr(out, scene[to]));
        s += ssim(out, scene[to]);
      }
      perScene.push(scenePsnr);
      const p = scenePsnr.reduce((a, b) => a + b, 0);
      rows.push([direction, name, (p / heldOut.length).toFixed(2), (s / heldOut.length).toFixed(4), minutes]);
    }
    // methods[1] is the baseline, methods[2] the new model.
    pairedLines.push(`${direction}: ${pairedPsnr(perScene[2], perScene[1])}`);
    lightOff?.dispose();
    if (which === 'G_A' && values.picture) await writeErrorPicture(values.picture, heldOut.slice(0, PICTURE_SCENES), baseline, translators[0]);
    if (which === 'G_A') dayToNight = translators;
    else for (const t of translators) t.dispose();
  }
  console.log(`Generators vs the true renders of ${SCENES} held-out synthetic scenes (seeds ${HELD_OUT_FIRST_SEED}..), 512x256;`);
  console.log(`photometric baseline fitted on ${FIT_SCENES} training scenes (seeds 0..${FIT_SCENES - 1}). Higher is better.\n`);
  const header = ['direction', 'method', 'PSNR dB', 'SSIM', 'train min'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
  console.log(`\nThe new model's PSNR minus the photometric baseline's, scene by scene:\n  ${pairedLines.join('\n  ')}`);

  const runs = Number(values['speed-runs']);
  const loadBefore = os.loadavg()[0];
  const ms = runs > 0 ? await speed(dayToNight, runs) : [];
  for (const t of dayToNight) t.dispose();
  if (runs === 0) return;
  console.log(`\nOne 2048x1024 frame through G_A, onnx engine, cpu provider (median of ${runs} after a warm-up, the models in turn; ` +
    `${os.cpus().length} CPUs, load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after):`);
  models.forEach((m, i) => console.log(`  ${m.label.padEnd(8)} ${(ms[i] / 1000).toFixed(2)} s${i > 0 ? `  (${(ms[i] / ms[0]).toFixed(2)}x the new default's time)` : ''}`));
}

await main();
