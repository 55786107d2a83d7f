// The default generators against the truth no real dataset has: on held-out synthetic scenes, how
// close is G_A(day) to the true night render (and G_B(night) to the true day render), next to the
// photometric baseline (gamma, per-channel gain, noise) fitted on training scenes, and to doing nothing.
// Usage: node --import tsx bench/default-model.ts [--model datasets/models/default] [--scenes 50] [--first-seed 500000]
// (--first-seed 400000: validation scenes, for choosing among a run's checkpoints without touching the held-out ones)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OnnxTranslator, RandomStream, exportGeneratorOnnx, loadGenerator, selectBackend } from '@nightshift/cyclegan';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import { generateScene, renderSceneSync, type Scene } from '@nightshift/datasets';
import { describeFit, fitPhotometric, photometricBaseline, psnr, ssim, type ImagePair, type RgbImage } from './lib/image-quality.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(REPO, 'datasets', 'models', 'default') },
    scenes: { type: 'string', default: '50' },
    'fit-scenes': { type: 'string', default: '20' },
    'first-seed': { type: 'string', default: '500000' },
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

async function generatorTranslator(which: 'G_A' | 'G_B'): Promise<OnnxTranslator> {
  await selectBackend('cpu');
  const generator = await loadGenerator(values.model!, { which });
  const onnx = await exportGeneratorOnnx(generator);
  generator.dispose();
  return OnnxTranslator.create(onnx, { provider: 'cpu' });
}

async function main(): Promise<void> {
  tfjsEnv().set('PROD', true); // silences the "install tfjs-node" banner
  const fitPairs = Array.from({ length: FIT_SCENES }, (_, i) => pair(i));
  const heldOut = Array.from({ length: SCENES }, (_, i) => pair(HELD_OUT_FIRST_SEED + i));
  const rows: string[][] = [];
  for (const [direction, which, from, to] of [['day→night', 'G_A', 'day', 'night'], ['night→day', 'G_B', 'night', 'day']] as const) {
    const training: ImagePair[] = fitPairs.map((p) => ({ input: p[from], target: p[to] }));
    const fit = fitPhotometric(training);
    const baseline = photometricBaseline(fit);
    const translator = await generatorTranslator(which);
    type Method = [string, (scene: (typeof heldOut)[number]) => Promise<RgbImage> | RgbImage];
    const methods: Method[] = [
      ['no change', (scene) => scene[from]],
      [`photometric baseline (${describeFit(fit)})`, (scene) => baseline(scene[from])],
      [`CycleGAN ${which}`, async (scene) => (await translator.translate([scene[from]]))[0]],
      ...(to === 'night' ? [['perfect sampler: true scene, lit windows shuffled, other noise', (scene) => perfectSampler(scene.scene, scene.scene.noiseSeed)] as Method] : []),
    ];
    for (const [name, translate] of methods) {
      let p = 0, s = 0;
      for (const scene of heldOut) {
        const out = await translate(scene);
        p += psnr(out, scene[to]);
        s += ssim(out, scene[to]);
      }
      rows.push([direction, name, (p / heldOut.length).toFixed(2), (s / heldOut.length).toFixed(4)]);
    }
    translator.dispose();
  }
  console.log(`Default generators vs the true renders of ${SCENES} held-out synthetic scenes (seeds ${HELD_OUT_FIRST_SEED}..), 512x256;`);
  console.log(`photometric baseline fitted on ${FIT_SCENES} training scenes (seeds 0..${FIT_SCENES - 1}). Higher is better.\n`);
  const header = ['direction', 'method', 'PSNR dB', 'SSIM'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
}

await main();
