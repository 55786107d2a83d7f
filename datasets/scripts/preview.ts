// Writes a day | night | colour-labels composite of synthetic scenes, one row per seed.
// Usage: npx tsx datasets/scripts/preview.ts <out.png> [seed ...] [--size=512x256] [--tile=384x192]
import sharp from 'sharp';
import { toColor } from '@nightshift/labels';
import { generateScene, renderSceneSync, sceneLabels } from '../src/index.ts';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--') && a.endsWith('.png')) ?? 'datasets/docs/preview.png';
const seeds = args.filter((a) => /^\d+$/.test(a)).map(Number);
const opt = (name: string, fallback: string): [number, number] => {
  const v = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
  const [w, h] = v.split('x').map(Number);
  return [w, h];
};
const [width, height] = opt('size', '512x256');
const [tileW, tileH] = opt('tile', `${width}x${height}`);

const tiles: sharp.OverlayOptions[] = [];
for (const [row, seed] of (seeds.length ? seeds : [3]).entries()) {
  const scene = generateScene(seed, { width, height });
  const images = [renderSceneSync(scene, 'day').data, renderSceneSync(scene, 'night').data, toColor(sceneLabels(scene).semantic)];
  for (const [col, data] of images.entries()) {
    const input = await sharp(data, { raw: { width, height, channels: 3 } }).resize(tileW, tileH, { kernel: 'lanczos3' }).png().toBuffer();
    tiles.push({ input, left: col * tileW, top: row * tileH });
  }
}
const rows = tiles.length / 3;
await sharp({ create: { width: tileW * 3, height: tileH * rows, channels: 3, background: '#000' } })
  .composite(tiles).png({ compressionLevel: 9, palette: true, colours: 256, dither: 0.5 }).toFile(out);
console.log(`wrote ${out}: ${rows} scene(s), ${tileW * 3}x${tileH * rows}`);
