import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import { TfjsTranslator, reflectPadImage, unitToRgbBytes, rgbToUnit, type RgbImage } from '../src/translate/index.ts';

await selectBackend('cpu');
const generator = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 5, initGain: 0.2 });

function image(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + seed * 7919, 2654435761) >>> 24) & 0xff;
  return { width, height, data };
}

function maxByteDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('odd sizes come back at exactly their size: reflect-padded to a multiple of 4 and cropped', async () => {
  const t = await TfjsTranslator.create(generator);
  const im = image(250, 130, 1);
  const [out] = await t.translate([im]);
  assert.deepEqual([out.width, out.height, out.data.length], [250, 130, 250 * 130 * 3]);
  // The same as running the generator on the reflect-padded 252x132 image and cropping.
  const padded = reflectPadImage(im, 252, 132);
  const x = new Float32Array(252 * 132 * 3);
  rgbToUnit(padded, x);
  const y = generator.apply(tf.tensor4d(x, [1, 132, 252, 3]));
  const full = unitToRgbBytes((await y.data()) as Float32Array, 0, 252 * 132 * 3);
  y.dispose();
  for (let r = 0; r < 130; r++) {
    assert.deepEqual(out.data.subarray(r * 750, (r + 1) * 750), full.subarray(r * 756, r * 756 + 750), `row ${r}`);
  }
  const [tiny] = await t.translate([image(5, 3, 2)]);
  assert.deepEqual([tiny.width, tiny.height], [5, 3]);
});

test('a batch of two equals two single translations; mixed sizes keep their order and sizes', async () => {
  const t = await TfjsTranslator.create(generator, { maxBatch: 4 });
  const a = image(64, 48, 3);
  const b = image(64, 48, 4);
  const c = image(30, 22, 5);
  const [ba, bc, bb] = await t.translate([a, c, b]);
  const [sa] = await t.translate([a]);
  const [sb] = await t.translate([b]);
  const [sc] = await t.translate([c]);
  const diffs = [maxByteDiff(ba.data, sa.data), maxByteDiff(bb.data, sb.data), maxByteDiff(bc.data, sc.data)];
  console.log(`batch vs single max byte difference: ${diffs.join(', ')}`);
  assert.ok(diffs.every((d) => d <= 1), `${diffs}`);
  assert.deepEqual([bc.width, bc.height], [30, 22]);
  assert.notDeepEqual(ba.data, bb.data);
});

test('tiled and whole translation agree to one 8-bit level', async () => {
  const whole = await TfjsTranslator.create(generator, { tiling: 'off' });
  const tiled = await TfjsTranslator.create(generator, { tiling: 'always', tileSize: 32 });
  const im = image(100, 76, 6);
  const [w] = await whole.translate([im]);
  const [t] = await tiled.translate([im]);
  assert.ok(maxByteDiff(w.data, t.data) <= 1);
  assert.equal((await tiled.plan(100, 76)).mode, 'tiled');
  assert.equal((await whole.plan(100, 76)).mode, 'whole');
  // A budget smaller than one image switches auto to tiles.
  const budgeted = await TfjsTranslator.create(generator, { maxWholeImageBytes: 1024 });
  assert.equal((await budgeted.plan(100, 76)).mode, 'tiled');
  // Without one, the cpu backend's budget is half the host memory available now.
  const measured = await TfjsTranslator.create(generator, {});
  assert.equal((await measured.plan(2048, 1024)).mode, 'whole');
  assert.match((await measured.plan(200_000, 200_000)).why, /over \d+ MiB: half of the [\d.]+ GiB available now/);
  measured.dispose();
});

test('info names engine, backend and a weight hash that follows the weights', async () => {
  const t = await TfjsTranslator.create(generator);
  assert.equal(t.info.engine, 'tfjs');
  assert.equal(t.info.backend, 'cpu');
  assert.match(t.info.modelHash, /^[0-9a-f]{64}$/);
  const same = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 5, initGain: 0.2 });
  const other = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 6, initGain: 0.2 });
  assert.equal((await TfjsTranslator.create(same)).info.modelHash, t.info.modelHash);
  assert.notEqual((await TfjsTranslator.create(other)).info.modelHash, t.info.modelHash);
  const owned = await TfjsTranslator.create(other, { ownsGenerator: true });
  owned.dispose();
  await assert.rejects(owned.translate([image(8, 8, 1)]), /disposed/);
  same.dispose();
});

test('bad input is refused with what is wrong', async () => {
  const t = await TfjsTranslator.create(generator);
  await assert.rejects(t.translate([{ width: 4, height: 4, data: new Uint8Array(10) }]), /image 0: expected 48 bytes/);
  await assert.rejects(TfjsTranslator.create(generator, { maxBatch: 0 }), /maxBatch/);
});
