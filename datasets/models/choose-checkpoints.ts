// Chooses each generator of a `nightshift train` run (day→night G_A, night→day G_B) among its saved
// checkpoints, on paired validation scenes that neither training nor bench/default-model.ts uses
// (seeds 400000.., 512x256): the checkpoint whose worse ratio to the photometric baseline (fitted on
// training scenes 0..4), PSNR or SSIM, is highest. GAN training wanders; the last iteration is not
// the best one. Prints the table and writes <run>/chosen.json ({"G_A": "iter-…", "G_B": "iter-…"}),
// which publish-default.ts reads.
// Usage: node --import tsx datasets/models/choose-checkpoints.ts <run-dir> [--scenes 8]
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxTranslator, exportGeneratorOnnx, loadGenerator, selectBackend } from '@nightshift/cyclegan';
import { generateScene, renderSceneSync } from '@nightshift/datasets';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import { fitPhotometric, photometricBaseline, psnr, ssim, type RgbImage } from '../../bench/lib/image-quality.ts';

const VALIDATION_FIRST_SEED = 400000;
const SIZE = { width: 512, height: 256 };
const { values, positionals } = parseArgs({ allowPositionals: true, options: { scenes: { type: 'string', default: '8' } } });
const run = positionals[0];
if (!run) {
  console.error('usage: choose-checkpoints.ts <run-dir> [--scenes 8]');
  process.exit(2);
}
tfjsEnv().set('PROD', true);
await selectBackend('cpu');

const render = (seed: number) => { const s = generateScene(seed, SIZE); return { day: renderSceneSync(s, 'day'), night: renderSceneSync(s, 'night') }; };
const validation = Array.from({ length: Number(values.scenes) }, (_, i) => render(VALIDATION_FIRST_SEED + i));
const training = Array.from({ length: 5 }, (_, i) => render(i));
const checkpoints = readdirSync(join(run, 'checkpoints')).filter((d) => d.startsWith('iter-')).sort();

const score = async (translate: (image: RgbImage) => Promise<RgbImage> | RgbImage, from: 'day' | 'night', to: 'day' | 'night') => {
  let p = 0, s = 0;
  for (const scene of validation) {
    const out = await translate(scene[from]);
    p += psnr(out, scene[to]);
    s += ssim(out, scene[to]);
  }
  return { psnr: p / validation.length, ssim: s / validation.length };
};

const chosen: Record<string, string> = {};
for (const [which, from, to] of [['G_A', 'day', 'night'], ['G_B', 'night', 'day']] as const) {
  const baseline = await score(photometricBaseline(fitPhotometric(training.map((p) => ({ input: p[from], target: p[to] })))), from, to);
  console.log(`${which} (${from}→${to}) on ${validation.length} validation scenes; photometric baseline ${baseline.psnr.toFixed(2)} dB / ${baseline.ssim.toFixed(4)}`);
  let best = { merit: -Infinity, checkpoint: '' };
  for (const checkpoint of checkpoints) {
    const generator = await loadGenerator(join(run, 'checkpoints', checkpoint), { which });
    const translator = await OnnxTranslator.create(await exportGeneratorOnnx(generator), { provider: 'cpu' });
    generator.dispose();
    const m = await score(async (image) => (await translator.translate([image]))[0], from, to);
    translator.dispose();
    const merit = Math.min(m.psnr / baseline.psnr, m.ssim / baseline.ssim);
    console.log(`  ${checkpoint}  ${m.psnr.toFixed(2)} dB  ${m.ssim.toFixed(4)}  worse ratio ${merit.toFixed(4)}`);
    if (merit > best.merit) best = { merit, checkpoint };
  }
  console.log(`  chosen: ${best.checkpoint}`);
  chosen[which] = best.checkpoint;
}
writeFileSync(join(run, 'chosen.json'), `${JSON.stringify(chosen)}\n`);
