// Tiled execution (global instance-norm statistics, exact halos) against whole-image execution of the
// same generator, and the seam metric: it must be no larger at tile borders than the whole-image
// output's, while naive tiling (each tile through the generator on its own) does show seams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import { applyTiled, gatherRegion, seamReport } from '../src/translate/index.ts';

/** Tolerance of tiled vs whole, on generator outputs in [-1, 1] (float32 sums in another order). */
const TOLERANCE = 1e-4;
const [H, W, TILE] = [128, 256, 64];

await selectBackend('cpu');
const generator = new ResnetGenerator({ ngf: 4, nBlocks: 2 }, { seed: 3, initGain: 0.2 });

// A smooth scene with some edges, so that real seams would stand out against the image's own steps.
const input = new Float32Array(H * W * 3);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    for (let c = 0; c < 3; c++) {
      input[(y * W + x) * 3 + c] = 0.6 * Math.sin(x / 23 + c) * Math.cos(y / 17 - c) + (x > 150 && y > 40 && y < 90 ? 0.3 : 0);
    }
  }
}

async function whole(data: Float32Array, h: number, w: number): Promise<Float32Array> {
  const x = tf.tensor4d(data, [1, h, w, 3]);
  const y = generator.apply(x);
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}

test('gatherRegion pads like tf.mirrorPad (reflect) and tf.pad (zeros)', async () => {
  const src = { height: 5, width: 4, channels: 2, data: Float32Array.from({ length: 40 }, (_, i) => i + 1) };
  const t = tf.tensor4d(src.data, [1, 5, 4, 2]);
  const reflect = (await tf.mirrorPad(t, [[0, 0], [2, 2], [3, 3], [0, 0]], 'reflect').data()) as Float32Array;
  // rows -2..6, cols -3..6 of the padded image: all of it.
  assert.deepEqual(gatherRegion(src, -2, 6, -3, 6, 'reflect'), reflect);
  const zero = (await tf.slice(tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]]), [0, 0, 2, 0], [1, 7, 4, 2]).data()) as Float32Array;
  assert.deepEqual(gatherRegion(src, -1, 5, 1, 4, 'zero'), zero);
  t.dispose();
});

test(`tiled (${TILE}px tiles) equals whole-image execution within ${TOLERANCE} at ${W}x${H}`, async () => {
  const expected = await whole(input, H, W);
  for (const tileSize of [TILE, 24]) {
    const got = await applyTiled(generator, { height: H, width: W, channels: 3, data: input }, { tileSize });
    assert.deepEqual([got.height, got.width, got.channels], [H, W, 3]);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - expected[i]));
    console.log(`tile ${tileSize}: max |tiled - whole| = ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
    assert.ok(worst <= TOLERANCE, `tile ${tileSize}: ${worst}`);
  }
});

test('seam metric: tiled output has no larger steps at tile borders than whole; naive tiling does', async () => {
  const expected = await whole(input, H, W);
  const tiled = await applyTiled(generator, { height: H, width: W, channels: 3, data: input }, { tileSize: TILE });
  // Naive: every tile through the generator alone (its own instance-norm statistics), no halo.
  const naive = new Float32Array(H * W * 3);
  for (let y0 = 0; y0 < H; y0 += TILE) {
    for (let x0 = 0; x0 < W; x0 += TILE) {
      const t = new Float32Array(TILE * TILE * 3);
      for (let r = 0; r < TILE; r++) t.set(input.subarray(((y0 + r) * W + x0) * 3, ((y0 + r) * W + x0 + TILE) * 3), r * TILE * 3);
      const o = await whole(t, TILE, TILE);
      for (let r = 0; r < TILE; r++) naive.set(o.subarray(r * TILE * 3, (r + 1) * TILE * 3), ((y0 + r) * W + x0) * 3);
    }
  }
  const [sw, st, sn] = [expected, tiled.data, naive].map((d) => seamReport(d, W, H, 3, TILE));
  console.log(`border/interior step ratio: whole ${sw.ratio.toFixed(3)}, tiled ${st.ratio.toFixed(3)}, naive tiles ${sn.ratio.toFixed(3)}`);
  assert.ok(Math.abs(st.ratio - sw.ratio) < 0.01, `tiled ${st.ratio} vs whole ${sw.ratio}`);
  assert.ok(sn.ratio > sw.ratio * 1.05, `the metric should see naive seams: ${sn.ratio} vs ${sw.ratio}`);
});
