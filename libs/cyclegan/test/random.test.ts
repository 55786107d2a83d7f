import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, deriveSeed } from '../src/index.ts';

test('same seed gives the same stream, different seeds differ', () => {
  const draw = (seed: number) => Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new SeededRandom(seed)));
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  assert.notDeepEqual(draw(0), draw(2 ** 32)); // the high word of the seed counts
});

test('uniform floats lie in [0, 1) and normals have mean 0 and std 1', () => {
  const r = new SeededRandom(1);
  let min = 1;
  let max = 0;
  for (let i = 0; i < 10000; i++) {
    const u = r.nextFloat();
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  assert.ok(min >= 0 && min < 0.001 && max < 1 && max > 0.999, `${min} ${max}`);
  const xs = new SeededRandom(2).fillNormal(new Float32Array(200000), 0, 1);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.01, `std ${std}`);
  const scaled = new SeededRandom(3).fillNormal(new Float32Array(100000), 5, 0.02);
  const m2 = scaled.reduce((a, b) => a + b, 0) / scaled.length;
  assert.ok(Math.abs(m2 - 5) < 0.001, `mean ${m2}`);
});

test('seeds are validated and derived seeds are stable and distinct', () => {
  assert.throws(() => new SeededRandom(-1), /non-negative safe integer for seed but received -1/);
  assert.throws(() => new SeededRandom(1.5), /received 1.5/);
  assert.equal(deriveSeed(7, 'G_A'), deriveSeed(7, 'G_A'));
  const seeds = new Set(['G_A', 'G_B', 'D_A', 'D_B'].flatMap((n) => [deriveSeed(7, n), deriveSeed(8, n)]));
  assert.equal(seeds.size, 8);
});

test('fillNormal draws exactly the numbers of repeated nextNormal calls', () => {
  for (const n of [0, 1, 2, 7, 1001]) {
    const a = new SeededRandom(3);
    const b = new SeededRandom(3);
    a.nextNormal(); // leave a spare of the pair pending
    b.nextNormal();
    const filled = a.fillNormal(new Float32Array(n), 1, 2);
    const called = Float32Array.from({ length: n }, () => 1 + 2 * b.nextNormal());
    assert.deepEqual(filled, called);
    assert.equal(a.nextNormal(), b.nextNormal());
    assert.equal(a.nextUint32(), b.nextUint32());
  }
});

test('xoshiro128** core matches the reference C implementation', () => {
  // State [1, 2, 3, 4]: first outputs of the reference xoshiro128starstar.c (prng.di.unimi.it), compiled with gcc.
  const r = new SeededRandom(0);
  (r as unknown as { s: Uint32Array }).s.set([1, 2, 3, 4]);
  assert.deepEqual(Array.from({ length: 5 }, () => r.nextUint32()), [11520, 0, 5927040, 70819200, 2031721883]);
});
