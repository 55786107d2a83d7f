// Synthetic unpaired image folders for the trainer tests: domain A holds smooth random colour
// images, domain B the same kind of images darkened and shifted towards blue.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { SeededRandom } from '../src/random.ts';

/** A smooth RGB image: random 4x4 colours upsampled (bicubic) to size x size. */
async function smoothImage(random: SeededRandom, size: number): Promise<Uint8Array> {
  const low = new Uint8Array(4 * 4 * 3);
  for (let i = 0; i < low.length; i++) low[i] = Math.floor(random.nextFloat() * 256);
  const { data } = await sharp(low, { raw: { width: 4, height: 4, channels: 3 } })
    .resize(size, size, { kernel: 'cubic', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

/** Night-ish version: darker, with blue lifted. */
export function darkenBlue(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    out[i] = Math.round(rgb[i] * 0.35);
    out[i + 1] = Math.round(rgb[i + 1] * 0.35);
    out[i + 2] = Math.min(255, Math.round(rgb[i + 2] * 0.35 + 90));
  }
  return out;
}

export async function writeUnpairedFolders(
  root: string,
  counts: { a: number; b: number },
  size: number,
  seed = 1,
): Promise<{ dirA: string; dirB: string }> {
  const random = new SeededRandom(seed);
  const dirA = join(root, 'trainA');
  const dirB = join(root, 'trainB');
  await mkdir(dirA, { recursive: true });
  await mkdir(dirB, { recursive: true });
  const raw = { width: size, height: size, channels: 3 as const };
  for (let i = 0; i < counts.a; i++) {
    await sharp(await smoothImage(random, size), { raw }).png().toFile(join(dirA, `a${String(i).padStart(3, '0')}.png`));
  }
  for (let i = 0; i < counts.b; i++) {
    const rgb = darkenBlue(await smoothImage(random, size));
    await sharp(rgb, { raw }).jpeg({ quality: 95 }).toFile(join(dirB, `b${String(i).padStart(3, '0')}.jpg`));
  }
  return { dirA, dirB };
}
