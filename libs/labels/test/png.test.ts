import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DatasetError } from '../src/errors.ts';
import { readGrey16, readGrey8, readPngHeader, readRgb, writeGrey16, writeGrey8, writeRgb } from '../src/png.ts';
import { REAL_CITYSCAPES, REAL_FRAMES, needsReal, pilDecode, realLabelPath, runPythonCode, tempDir } from './helpers/cityscapes.ts';

const dir = tempDir('png');
after(() => rmSync(dir, { recursive: true, force: true }));

function assertSameValues(ours: ArrayLike<number>, pil: Int32Array, what: string): void {
  assert.equal(ours.length, pil.length, `${what}: length`);
  for (let i = 0; i < pil.length; i++) {
    if (ours[i] !== pil[i]) assert.fail(`${what}: pixel ${i} is ${ours[i]} here, ${pil[i]} in Pillow`);
  }
}

test('labelIds and instanceIds of the real frames equal Pillow, pixel for pixel', { skip: needsReal }, async () => {
  const paths = REAL_FRAMES.flatMap((id) => [realLabelPath(id, 'labelIds'), realLabelPath(id, 'instanceIds')]);
  const pil = pilDecode(paths);
  for (let f = 0; f < REAL_FRAMES.length; f++) {
    const labels = await readGrey8(paths[2 * f]);
    const instances = await readGrey16(paths[2 * f + 1]);
    assert.deepEqual([labels.width, labels.height], [2048, 1024]);
    assert.deepEqual(pil[2 * f].shape, [1024, 2048]);
    assert.equal(pil[2 * f + 1].mode, 'I', 'Pillow sees a 32-bit integer (16-bit PNG) image');
    assertSameValues(labels.data, pil[2 * f].data, paths[2 * f]);
    assertSameValues(instances.data, pil[2 * f + 1].data, paths[2 * f + 1]);
    let max = 0;
    for (const v of instances.data) if (v > max) max = v;
    assert.ok(max > 255, `${paths[2 * f + 1]}: instance ids above 255 survive (max ${max})`);
    assert.ok(instances.data.some((v) => v >= 26000 && v < 27000), 'car instances 26xxx are present');
  }
});

test('RGB frames equal Pillow', { skip: needsReal }, async () => {
  const path = join(REAL_CITYSCAPES, 'leftImg8bit', 'train', 'aachen', `${REAL_FRAMES[0]}_leftImg8bit.png`);
  const ours = await readRgb(path);
  const [pil] = pilDecode([path]);
  assert.deepEqual(pil.shape, [1024, 2048, 3]);
  assertSameValues(ours.data, pil.data, path);
});

test('a paletted label PNG gives its palette indexes, as Pillow does', async () => {
  const path = join(dir, 'paletted.png');
  // Palette index i has a colour unrelated to i, so colour expansion would be caught.
  runPythonCode(
    `import sys, numpy as np
from PIL import Image
a = (np.arange(37 * 23).reshape(23, 37) * 7 % 34).astype(np.uint8)
im = Image.fromarray(a, 'L').convert('P')
im.putpalette([(255 - i) % 256 if k == 0 else (i * 53) % 256 for i in range(256) for k in range(3)])
im.save(sys.argv[1])`,
    [path],
  );
  const [pil] = pilDecode([path]);
  assert.equal(pil.mode, 'P');
  const ours = await readGrey8(path);
  assert.deepEqual([ours.width, ours.height], [37, 23]);
  assertSameValues(ours.data, pil.data, path);
});

test('readGrey16 refuses an 8-bit file: instanceIds must be 16-bit', { skip: needsReal }, async () => {
  await assert.rejects(readGrey16(realLabelPath(REAL_FRAMES[0], 'labelIds')), (err: unknown) => {
    assert.ok(err instanceof DatasetError);
    assert.match(err.message, /labelIds\.png/);
    assert.match(err.message, /8-bit grey PNG; instanceIds must be a 16-bit single-channel PNG/);
    return true;
  });
});

test('readGrey8 refuses a 16-bit file', { skip: needsReal }, async () => {
  await assert.rejects(readGrey8(realLabelPath(REAL_FRAMES[0], 'instanceIds')), /instanceIds\.png: is a 16-bit PNG; an 8-bit label image/);
});

test('a truncated PNG is a DatasetError naming the file and the decoder reason', { skip: needsReal }, async () => {
  const bytes = readFileSync(realLabelPath(REAL_FRAMES[0], 'instanceIds'));
  const path = join(dir, 'truncated.png');
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await assert.rejects(readGrey16(path), (err: unknown) => {
    assert.ok(err instanceof DatasetError);
    assert.equal(err.file, path);
    assert.match(err.message, /truncated\.png: cannot decode PNG: \S/);
    return true;
  });
  writeFileSync(path, Buffer.from('not a png at all, just text'));
  await assert.rejects(readGrey8(path), /truncated\.png: not an image nightshift reads/);
});

test('writes are exact, deterministic, read by Pillow as the same integers, and leave no temporary files', async () => {
  const width = 300, height = 7;
  const grey16 = new Uint16Array(width * height).map((_, i) => (i * 2654435761) % 65536);
  const grey8 = new Uint8Array(width * height).map((_, i) => (i * 31) % 256);
  const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 17) % 256);
  const p16 = join(dir, 'w16.png'), p8 = join(dir, 'w8.png'), prgb = join(dir, 'wrgb.png');
  await writeGrey16(p16, { width, height, data: grey16 });
  await writeGrey8(p8, { width, height, data: grey8 });
  await writeRgb(prgb, { width, height, data: rgb });
  assert.deepEqual(readPngHeader(p16), { width, height, bitDepth: 16, colorType: 0, interlace: 0 });
  assert.deepEqual(readPngHeader(p8), { width, height, bitDepth: 8, colorType: 0, interlace: 0 });
  assert.deepEqual(readPngHeader(prgb), { width, height, bitDepth: 8, colorType: 2, interlace: 0 });
  assert.deepEqual((await readGrey16(p16)).data, grey16);
  assert.deepEqual((await readGrey8(p8)).data, grey8);
  assert.deepEqual((await readRgb(prgb)).data, rgb);
  const pil = pilDecode([p16, p8, prgb]);
  assertSameValues(grey16, pil[0].data, p16);
  assertSameValues(grey8, pil[1].data, p8);
  assertSameValues(rgb, pil[2].data, prgb);
  const first = readFileSync(p16);
  await writeGrey16(p16, { width, height, data: grey16 });
  assert.ok(first.equals(readFileSync(p16)), 'same values, same bytes');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('writers refuse data that does not match the size', async () => {
  await assert.rejects(writeGrey8(join(dir, 'bad.png'), { width: 3, height: 3, data: new Uint8Array(8) }), RangeError);
  await assert.rejects(writeGrey16(join(dir, 'bad.png'), { width: 0, height: 3, data: new Uint16Array(0) }), RangeError);
});
