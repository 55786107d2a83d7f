// Training data: preprocessing against PIL (the reference's get_transform uses PIL bicubic resize,
// crop and flip), folder listing, and the unpaired epoch order.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DatasetError } from '@nightshift/labels';
import { listImages, loadTrainingImage, RandomStream, resizedSize, UnpairedData, type PreprocessOptions } from '../src/train/index.ts';

const REAL_FRAME = new URL('../../../../shared/data/real/street/day2night_input.png', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';

// The reference transform in PIL: resize (bicubic), crop at the position our uniform draws pick
// (torchvision RandomCrop: top-left uniform over every fitting position), flip; raw RGB bytes out.
const PIL_TRANSFORM = `
import sys, numpy as np
from PIL import Image
path, pre, load, crop, u, v, flip = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), sys.argv[7] == '1'
im = Image.open(path).convert('RGB')
w, h = im.size
if pre == 'resize_and_crop':
    im = im.resize((load, load), Image.BICUBIC)
elif pre.startswith('scale_width') and not (w == load and h >= crop):
    im = im.resize((load, int(max(load * h / w, crop))), Image.BICUBIC)
elif pre == 'none':
    im = im.resize((int(round(w / 4) * 4), int(round(h / 4) * 4)), Image.BICUBIC)
w, h = im.size
if pre.endswith('crop'):
    x, y = int(u * (w - crop + 1)), int(v * (h - crop + 1))
    im = im.crop((x, y, x + crop, y + crop))
if flip:
    im = im.transpose(Image.FLIP_LEFT_RIGHT)
sys.stdout.buffer.write(np.asarray(im, dtype=np.uint8).tobytes())
`;

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'nightshift-train-data-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function compareWithPil(file: string, o: PreprocessOptions, u: number, v: number, flip: boolean) {
  const ours = await loadTrainingImage(file, { cropU: u, cropV: v, flip }, o);
  const args = ['-c', PIL_TRANSFORM, file, o.preprocess, String(o.loadSize), String(o.cropSize), String(u), String(v), flip ? '1' : '0'];
  const ref = execFileSync(PYTHON, args, { maxBuffer: 1 << 26 });
  assert.equal(ours.data.length, ref.length, `${o.preprocess}: size differs from PIL`);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(Math.round(((ours.data[i] + 1) / 2) * 255) - ref[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / ref.length, max, width: ours.width, height: ours.height };
}

test('resize_and_crop, scale_width_and_crop and flip equal PIL on a real frame, byte for byte', { skip: !existsSync(REAL_FRAME) && 'real data absent' }, async (t) => {
  const cases: PreprocessOptions[] = [
    { preprocess: 'resize_and_crop', loadSize: 286, cropSize: 256, flip: true },
    { preprocess: 'scale_width_and_crop', loadSize: 512, cropSize: 256, flip: true },
    { preprocess: 'scale_width_and_crop', loadSize: 1600, cropSize: 360, flip: true }, // upsampling
  ];
  for (const o of cases) {
    for (const [u, v, flip] of [[0.3, 0.7, true], [0.999, 0, false]] as const) {
      const r = await compareWithPil(REAL_FRAME, o, u, v, flip);
      t.diagnostic(`${o.preprocess} ${o.loadSize}/${o.cropSize} (${u}, ${v}, flip ${flip}): max |ours - PIL| ${r.max} levels`);
      assert.equal(r.width, o.cropSize);
      assert.equal(r.max, 0, `${o.preprocess}: mean ${r.mean}, max ${r.max}`);
    }
  }
  const none = await compareWithPil(REAL_FRAME, { preprocess: 'none', loadSize: 0, cropSize: 0, flip: false }, 0, 0, false);
  assert.deepEqual([none.width, none.height, none.max], [1280, 720, 0]);
});

test('grey, RGBA and odd-sized images decode like PIL convert("RGB") and resize to multiples of 4 like PIL', async () => {
  const dir = join(root, 'kinds');
  await mkdir(dir, { recursive: true });
  const grey = join(dir, 'grey.png');
  const rgba = join(dir, 'rgba.png');
  const g = new Uint8Array(30 * 22).map((_, i) => (i * 7) % 256);
  await sharp(g, { raw: { width: 30, height: 22, channels: 1 } }).png().toFile(grey);
  const c = new Uint8Array(26 * 18 * 4).map((_, i) => (i * 13) % 256);
  await sharp(c, { raw: { width: 26, height: 18, channels: 4 } }).png().toFile(rgba);
  const none: PreprocessOptions = { preprocess: 'none', loadSize: 0, cropSize: 0, flip: false };
  // Python's round() sends halves to even: 30/4 = 7.5 -> 8, 22/4 = 5.5 -> 6, 26/4 = 6.5 -> 6, 18/4 = 4.5 -> 4.
  assert.deepEqual(resizedSize(30, 22, none), [32, 24]);
  assert.deepEqual(resizedSize(26, 18, none), [24, 16]);
  for (const file of [grey, rgba]) {
    const r = await compareWithPil(file, { preprocess: 'crop', loadSize: 0, cropSize: 16, flip: true }, 0.5, 0.5, true);
    assert.equal(r.max, 0, `${file}: crop and flip must be exact`);
    const n = await compareWithPil(file, none, 0, 0, false);
    assert.equal(n.max, 0, `${file}: resize to a multiple of 4 differs by ${n.max}`);
  }
  assert.deepEqual(resizedSize(1280, 720, { preprocess: 'scale_width', loadSize: 1024, cropSize: 360, flip: false }), [1024, 576]);
  assert.deepEqual(resizedSize(1280, 200, { preprocess: 'scale_width', loadSize: 1024, cropSize: 360, flip: false }), [1024, 360]);
});

test('listing: sorted, recursive, non-images skipped with an error naming the file', async () => {
  const dir = join(root, 'listing');
  await mkdir(join(dir, 'sub'), { recursive: true });
  const px = new Uint8Array(8 * 8 * 3);
  const raw = { raw: { width: 8, height: 8, channels: 3 as const } };
  await sharp(px, raw).png().toFile(join(dir, 'b.png'));
  await sharp(px, raw).jpeg().toFile(join(dir, 'a.jpg'));
  await sharp(px, raw).webp().toFile(join(dir, 'sub', 'c.webp'));
  await writeFile(join(dir, 'notes.txt'), 'not an image');
  await writeFile(join(dir, 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  await writeFile(join(dir, '.hidden.png'), 'ignored');
  const listing = await listImages(dir);
  assert.deepEqual(listing.files, [join(dir, 'a.jpg'), join(dir, 'b.png'), join(dir, 'sub', 'c.webp')]);
  assert.deepEqual(listing.skipped.map((e) => e.file), [join(dir, 'broken.png'), join(dir, 'notes.txt')]);
  for (const e of listing.skipped) {
    assert.ok(e instanceof DatasetError);
    assert.match(e.message, /not an image that can be read, skipped/);
  }
  await mkdir(join(root, 'empty'));
  await assert.rejects(listImages(join(root, 'empty')), /no readable images/);
  await assert.rejects(listImages(join(root, 'missing')), /cannot read the image folder/);
});

test('unpaired epochs: every A once per epoch, random B, batches, reproducible and resumable', async () => {
  const dir = join(root, 'epochs');
  const files = async (prefix: string, n: number) => {
    const out: string[] = [];
    await mkdir(join(dir, prefix), { recursive: true });
    for (let i = 0; i < n; i++) {
      const f = join(dir, prefix, `${i}.png`);
      await sharp(new Uint8Array(8 * 8 * 3).fill(i * 20), { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(f);
      out.push(f);
    }
    return out;
  };
  const a = await files('A', 5);
  const b = await files('B', 3);
  const o = { preprocess: 'crop', loadSize: 8, cropSize: 8, flip: true, batchSize: 2, firstEpoch: 1 } as const;
  const data = new UnpairedData(a, b, o, new RandomStream(11));
  assert.equal(data.epochSize, 5);
  assert.equal(data.batchesPerEpoch, 3);
  const epoch1 = [await data.next(), await data.next(), await data.next()];
  assert.deepEqual(epoch1.map((x) => [x.epoch, x.indexInEpoch, x.isLastOfEpoch, x.shape[0]]), [[1, 0, false, 2], [1, 1, false, 2], [1, 2, true, 1]]);
  assert.deepEqual(epoch1.flatMap((x) => x.pathsA).sort(), [...a].sort());
  assert.ok(epoch1.flatMap((x) => x.pathsB).every((p) => b.includes(p)));
  assert.equal(epoch1[0].a.length, 2 * 8 * 8 * 3);

  const saved = data.state();
  const next = await data.next();
  assert.equal(next.epoch, 2);
  const again = new UnpairedData(a, b, o, new RandomStream(99));
  again.restore(saved);
  const replay = await again.next();
  assert.deepEqual([replay.pathsA, replay.pathsB, Array.from(replay.a)], [next.pathsA, next.pathsB, Array.from(next.a)]);

  const same = new UnpairedData(a, b, o, new RandomStream(11));
  assert.deepEqual((await same.next()).pathsA, epoch1[0].pathsA);
  assert.throws(() => again.restore({ ...saved, order: [0, 1] }), /resume with the same image folders/);
});
