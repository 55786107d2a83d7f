import sharp from 'sharp';
import { generateScene } from '../src/synthetic/scene.ts';
import { renderSceneSync } from '../src/synthetic/render.ts';
import { sceneLabels, colorizeLabels } from '../src/synthetic/labels.ts';
const seeds = process.argv.slice(2).map(Number);
const W = 512, H = 256;
for (const seed of seeds) {
  const t0 = performance.now();
  const scene = generateScene(seed, { width: W, height: H });
  const t1 = performance.now();
  const day = renderSceneSync(scene, "day"), night = renderSceneSync(scene, "night");
  const lab = sceneLabels(scene);
  const t2 = performance.now();
  const col = colorizeLabels(lab.semantic);
  const comp = Buffer.alloc(W * 3 * H * 3);
  for (let y = 0; y < H; y++) for (const [k, img] of [day.data, night.data, col].entries())
    Buffer.from(img.buffer, img.byteOffset + y * W * 3, W * 3).copy(comp, (y * 3 * W + k * W) * 3);
  await sharp(comp, { raw: { width: W * 3, height: H, channels: 3 } }).png().toFile(`/tmp/prev_${seed}.png`);
  console.log(seed, 'items', scene.items.length, 'objects', scene.objects.length, 'gen ms', (t1 - t0).toFixed(1), 'render ms', (t2 - t1).toFixed(1), scene.objects.map(o => o.name).join(','));
}
