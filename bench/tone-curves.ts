// How far a per-channel tone curve alone goes day→night, next to the photometric baseline: the
// unpaired prior's curves (histogram matching of the two training folders, libs/cyclegan
// bilateral-tone-prior.ts) with and without the brightest light share left out and with their lift,
// matched over the whole image or per horizontal band, applied directly to the 8-bit values of paired
// validation scenes. The gap between the best curve and the perfect sampler (bench/default-model.ts)
// is what only light at the right places can close.
// Usage: node --import tsx bench/tone-curves.ts <day folder> <night folder> [--scenes 8] [--first-seed 400000]
// (the folders: `nightshift synth` outputs' leftImg8bit and leftImg8bit_night, as train-default.sh makes them)
import { parseArgs } from 'node:util';
import { generateScene, renderSceneSync } from '@nightshift/datasets';
import { readImageRgb } from '@nightshift/labels';
import { LIGHT_MASS, liftedToMean, matchedCurve } from '../libs/cyclegan/src/networks/bilateral-tone-prior.ts';
import { listImages } from '../libs/cyclegan/src/train/data.ts';
import { priorImageFiles } from '../libs/cyclegan/src/train/tone-prior-start.ts';
import { fitPhotometric, photometricBaseline, psnr, ssim, type RgbImage } from './lib/image-quality.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { scenes: { type: 'string', default: '8' }, 'first-seed': { type: 'string', default: '400000' } } });
const [dayFolder, nightFolder] = positionals;
if (!dayFolder || !nightFolder) {
  console.error('usage: tone-curves.ts <day folder> <night folder> [--scenes 8] [--first-seed 400000]');
  process.exit(2);
}
const SIZE = { width: 512, height: 256 };

/**
 * Per band of rows, per channel, the 256-bin histogram of the images the trainer's prior reads
 * (listImages, then priorImageFiles).
 */
async function bandHistograms(dir: string, bands: number): Promise<Float64Array[][]> {
  const h = Array.from({ length: bands }, () => [0, 1, 2].map(() => new Float64Array(256)));
  for (const file of priorImageFiles((await listImages(dir)).files)) {
    const im = await readImageRgb(file);
    for (let y = 0; y < im.height; y++) {
      const band = h[Math.floor((y * bands) / im.height)];
      for (let i = y * im.width * 3; i < (y + 1) * im.width * 3; i++) band[i % 3][im.data[i]]++;
    }
  }
  return h;
}

const pair = (seed: number) => { const s = generateScene(seed, SIZE); return { day: renderSceneSync(s, 'day'), night: renderSceneSync(s, 'night') }; };
const scenes = Array.from({ length: Number(values.scenes) }, (_, i) => pair(Number(values['first-seed']) + i));
const score = (translate: (im: RgbImage) => RgbImage): string => {
  let p = 0, s = 0;
  for (const q of scenes) { const out = translate(q.day); p += psnr(out, q.night); s += ssim(out, q.night); }
  return `${(p / scenes.length).toFixed(2)}  ${(s / scenes.length).toFixed(3)}`;
};
/** The curves [band][channel] applied to the 8-bit values of each row's band. */
const applied = (curves: Float64Array[][]) => (im: RgbImage): RgbImage => {
  const data = new Uint8Array(im.data.length);
  for (let y = 0; y < im.height; y++) {
    const c = curves[Math.floor((y * curves.length) / im.height)];
    for (let i = y * im.width * 3; i < (y + 1) * im.width * 3; i++) data[i] = Math.round(c[i % 3][im.data[i]]);
  }
  return { width: im.width, height: im.height, data };
};

console.log(`day→night on ${scenes.length} paired validation scenes (seeds ${values['first-seed']}..), 512x256; curves from the images of each folder that the trainer's prior reads`);
console.log('curve                                                    PSNR dB  SSIM');
const fit = fitPhotometric(Array.from({ length: 20 }, (_, i) => pair(i)).map((p) => ({ input: p.day, target: p.night })));
console.log(`photometric baseline (paired fit, 20 training scenes)     ${score(photometricBaseline(fit))}`);
for (const bands of [1, 16]) {
  const [day, night] = [await bandHistograms(dayFolder, bands), await bandHistograms(nightFolder, bands)];
  for (const [mass, lift] of [[0, 0], [LIGHT_MASS, 0], [LIGHT_MASS, 0.5], [LIGHT_MASS, 1]]) {
    const curves = day.map((d, b) => d.map((h, c) => liftedToMean(matchedCurve(h, night[b][c], mass), h, night[b][c], lift)));
    const name = `${bands === 1 ? 'whole image' : `${bands} bands`}, light mass ${mass}, lift ${lift}`;
    console.log(`${name.padEnd(57)}${score(applied(curves))}`);
  }
}
