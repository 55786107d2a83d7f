// The trainer's parts against their references: Adam against torch.optim.Adam (fixture), the lr
// policy against the reference's lambda_rule, the image pool against util/image_pool.py's rules,
// the GAN losses against their formulas.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  Adam,
  CYCLEGAN_ADAM,
  ImagePool,
  RandomStream,
  ganLoss,
  l1Loss,
  lastEpoch,
  linearLrMultiplier,
  lrMultiplierForEpoch,
  lossChartSvg,
  sampleGridPixels,
} from '../src/train/index.ts';
import { FIXTURES } from './helpers.ts';

test('Adam matches torch.optim.Adam over several steps with a changing lr', async () => {
  await tf.setBackend('cpu');
  const { adam } = JSON.parse(await readFile(`${FIXTURES}train_fixture.json`, 'utf8')) as {
    adam: { start: number[]; lrs: number[]; grads: number[][]; params: number[][] };
  };
  const p = tf.variable(tf.tensor1d(adam.start), true, 'adam-test-param');
  const opt = new Adam([p], CYCLEGAN_ADAM);
  adam.lrs.forEach((lr, step) => {
    const g = tf.tensor1d(adam.grads[step]);
    opt.apply([g], lr);
    g.dispose();
    const ours = p.dataSync();
    adam.params[step].forEach((expected, i) => {
      assert.ok(Math.abs(ours[i] - expected) <= 1e-7, `step ${step + 1} value ${i}: ${ours[i]} vs torch ${expected}`);
    });
  });
  // The state round-trips: a restored optimiser continues exactly as the original.
  const saved = await opt.state();
  assert.equal(saved.step, adam.lrs.length);
  const q = tf.variable(p.clone(), true, 'adam-test-copy');
  const copy = new Adam([q], CYCLEGAN_ADAM);
  copy.restore(saved);
  const g = tf.tensor1d([0.3, -0.2, 0.1, 0, 5, -5]);
  opt.apply([g], 1e-4);
  copy.apply([g], 1e-4);
  assert.deepEqual(Array.from(q.dataSync()), Array.from(p.dataSync()));
  for (const t of [g, p, q]) t.dispose();
  opt.dispose();
  copy.dispose();
});

test('linear lr policy: constant for n_epochs, then down to 1/(n_epochs_decay + 1)', () => {
  const o = { nEpochs: 100, nEpochsDecay: 100, epochCount: 1 };
  assert.equal(lastEpoch(o), 200);
  assert.equal(lrMultiplierForEpoch(1, o), 1);
  assert.equal(lrMultiplierForEpoch(100, o), 1);
  assert.equal(lrMultiplierForEpoch(101, o), 1 - 1 / 101);
  assert.equal(lrMultiplierForEpoch(200, o), 1 - 100 / 101); // lambda_rule(199) in Python gives this double
  // The reference's lambda_rule with a later epoch_count (continued training).
  const later = { nEpochs: 100, nEpochsDecay: 100, epochCount: 151 };
  assert.equal(linearLrMultiplier(0, later), 1 - 51 / 101);
  assert.equal(lrMultiplierForEpoch(151, later), 1 - 51 / 101);
});

test('image pool: stores until full, then returns a stored fake half of the time', async () => {
  const pool = new ImagePool(3, new RandomStream(5));
  const image = (v: number) => tf.fill([1, 2, 2, 3], v) as tf.Tensor4D;
  const first = (t: tf.Tensor4D) => t.dataSync()[0];
  for (let v = 1; v <= 3; v++) {
    const out = await pool.query(image(v));
    assert.equal(first(out), v); // not full: the current image comes back
  }
  assert.equal(pool.size, 3);
  let fromHistory = 0;
  const seen = new Set<number>();
  for (let v = 4; v < 404; v++) {
    const got = first(await pool.query(image(v)));
    if (got !== v) {
      fromHistory++;
      assert.ok(got < v && !seen.has(got), `returned ${got}, which is not a stored fake`);
      seen.add(got); // a returned fake leaves the pool
    }
  }
  assert.ok(fromHistory > 160 && fromHistory < 240, `${fromHistory} of 400 from the history`);
  assert.equal(pool.size, 3);

  // Batches are handled image by image; the state round-trips.
  const copy = new ImagePool(3, new RandomStream(0));
  copy.restore(pool.state());
  const batch = tf.concat([image(1000), image(1001)]) as tf.Tensor4D;
  assert.deepEqual(Array.from((await copy.query(batch)).dataSync()), Array.from((await pool.query(batch)).dataSync()));
  assert.equal((await new ImagePool(0, new RandomStream(1)).query(batch)).dataSync()[0], 1000);
});

test('GAN losses: lsgan is MSE to 1/0, vanilla is BCE with logits; L1 is the mean absolute error', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
  const xs = [-2, -0.5, 0, 0.5, 3];
  const mean = (f: (v: number) => number) => xs.reduce((s, v) => s + f(v), 0) / xs.length;
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  close(ganLoss(x, true, 'lsgan').dataSync()[0], mean((v) => (v - 1) ** 2));
  close(ganLoss(x, false, 'lsgan').dataSync()[0], mean((v) => v ** 2));
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  close(ganLoss(x, true, 'vanilla').dataSync()[0], mean((v) => -Math.log(sigmoid(v))));
  close(ganLoss(x, false, 'vanilla').dataSync()[0], mean((v) => -Math.log(1 - sigmoid(v))));
  close(l1Loss(x, tf.zerosLike(x)).dataSync()[0], mean((v) => Math.abs(v)));
  assert.throws(() => ganLoss(x, true, 'wgangp' as never), /valid modes are: lsgan, vanilla/);
});

test('sample grid: real A, fake B, rec A on top, real B, fake A, rec B below, as tensor2im', () => {
  const h = 2;
  const w = 3;
  const plane = (v: number) => new Float32Array(h * w * 3).fill(v);
  const values = [-1, -0.5, 0, 0.5, 1, 0.25];
  const [realA, fakeB, recA, realB, fakeA, recB] = values.map(plane);
  const grid = sampleGridPixels({ height: h, width: w, channelsA: 3, channelsB: 3, realA, fakeB, recA, realB, fakeA, recB });
  assert.deepEqual([grid.width, grid.height], [3 * w, 2 * h]);
  const at = (x: number, y: number) => grid.data[(y * grid.width + x) * 3];
  const byte = (v: number) => Math.floor(((v + 1) / 2) * 255);
  assert.deepEqual([at(0, 0), at(w, 0), at(2 * w, 1), at(0, h), at(w + 2, h + 1), at(2 * w, h)], values.map(byte));
  assert.deepEqual(values.map(byte), [0, 63, 127, 191, 255, 159]);
});

test('loss chart: one polyline per loss with a legend', () => {
  const points = [0, 1, 2].map((i) => ({ iteration: (i + 1) * 100, losses: { D_A: 0.5 - i * 0.1, G_A: 1 + i } }));
  const svg = lossChartSvg(points, ['D_A', 'G_A']);
  assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
  assert.match(svg, />D_A</);
  assert.match(svg, />300</);
});
