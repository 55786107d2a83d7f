/**
 * The structure property of the bilateral generator (docs/bilateral-generator.md), checked on the
 * networks themselves:
 *
 * 1. No invention (black box): where the input is flat (three neighbouring pixels of one colour along
 *    a row or column), the output is linear in position, except across the fixed lines where the grid
 *    interpolation changes segment. A generator that paints texture, streaks or an object into a flat
 *    area breaks this; the ResNet does, with random weights and trained.
 * 2. No erasure (from the grids): at every pixel the transform is, per channel, increasing with a
 *    slope in [SLOPE_MIN, SLOPE_MAX] on [-1, 1], and the generator's output is that transform applied
 *    to the pixel's own colour, plus the additive term. So a colour difference between two objects
 *    keeps at least 1/16 of its size at any one pixel's transform.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BILATERAL_GRID, BILATERAL_LIGHT_GRID, CHANNEL_DEVIATION_MAX, CURVE_KNOTS, SLOPE_MAX, SLOPE_MIN, SLOPE_SHIFT, bilinearMatrix,
} from '../src/networks/bilateral-generator.ts';
import { BilateralGenerator, ResnetGenerator, loadGenerator, type Generator } from '../src/index.ts';

await tf.setBackend('cpu');
const H = 128;
const W = 256;

/** A flat grey street-like scene with objects: boxes of other colours, a bright lamp, a noisy patch. */
function scene(): tf.Tensor4D {
  const data = new Float32Array(H * W * 3);
  const set = (y: number, x: number, rgb: readonly number[]) => { for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = rgb[c]; };
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let rgb: readonly number[] = y < 40 ? [0.2, 0.4, 0.8] : [-0.1, -0.1, -0.05];
      if (x >= 30 && x < 70 && y >= 60 && y < 100) rgb = [0.7, -0.6, -0.5];
      if (x >= 120 && x < 124 && y >= 30 && y < 34) rgb = [1, 1, 0.9];
      if (x >= 180 && x < 230 && y >= 70 && y < 110) rgb = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
      set(y, x, rgb);
    }
  }
  return tf.tensor4d(data, [1, H, W, 3]);
}

/** Positions k + 0.5 where a bilinear interpolation from `cells` cells to `n` pixels changes segment. */
function kinks(n: number, cells: readonly number[]): Set<number> {
  const out = new Set<number>();
  for (const g of cells) for (let i = 0; i < g; i++) out.add(Math.round(((i + 0.5) * n) / g - 0.5 - 0.5) + 0.5);
  return out;
}

/**
 * Largest second difference of the output over triples of identical input pixels along rows and
 * columns, leaving out triples that straddle a grid kink.
 */
function flatCurvature(x: Float32Array, y: Float32Array): { max: number; triples: number } {
  const kx = kinks(W, [BILATERAL_GRID[1], BILATERAL_LIGHT_GRID[1]]);
  const ky = kinks(H, [BILATERAL_GRID[0], BILATERAL_LIGHT_GRID[0]]);
  let max = 0;
  let triples = 0;
  const same = (a: number, b: number) => x[a] === x[b] && x[a + 1] === x[b + 1] && x[a + 2] === x[b + 2];
  const check = (a: number, b: number, c: number) => {
    if (!same(a, b) || !same(b, c)) return;
    triples++;
    for (let k = 0; k < 3; k++) max = Math.max(max, Math.abs(y[a + k] - 2 * y[b + k] + y[c + k]));
  };
  for (let r = 0; r < H; r++) {
    for (let q = 1; q < W - 1; q++) {
      if (kx.has(q - 0.5) || kx.has(q + 0.5)) continue;
      check((r * W + q - 1) * 3, (r * W + q) * 3, (r * W + q + 1) * 3);
    }
  }
  for (let r = 1; r < H - 1; r++) {
    if (ky.has(r - 0.5) || ky.has(r + 0.5)) continue;
    for (let q = 0; q < W; q++) check(((r - 1) * W + q) * 3, (r * W + q) * 3, ((r + 1) * W + q) * 3);
  }
  return { max, triples };
}

function curvatureOf(g: Generator): { max: number; triples: number } {
  const x = scene();
  const y = g.apply(x);
  const result = flatCurvature(x.dataSync() as Float32Array, y.dataSync() as Float32Array);
  tf.dispose([x, y]);
  return result;
}

const DEFAULT_MODEL = new URL('../../../datasets/models/default', import.meta.url).pathname;
const OLD_RESNET = new URL('../../../datasets/models/resnet-2026-11-27', import.meta.url).pathname;

test('no invention: flat input gives output linear between grid lines, for random bilateral generators', () => {
  for (const seed of [1, 2, 3]) {
    const g = new BilateralGenerator({ ngf: 8, nBlocks: 1 }, { seed, initGain: 0.05 });
    const { max, triples } = curvatureOf(g);
    g.dispose();
    assert.ok(triples > 15_000, `${triples} flat triples checked`);
    assert.ok(max < 1e-4, `seed ${seed}: second difference ${max} in a flat area`);
  }
});

test('no invention fails for the ResNet generator, random weights', () => {
  const g = new ResnetGenerator({ ngf: 8, nBlocks: 2 }, { seed: 1 });
  const { max } = curvatureOf(g);
  g.dispose();
  assert.ok(max > 0.01, `ResNet second difference in a flat area is only ${max}`);
});

test('no invention fails for the ResNet default of 2026-11-27 (trained)', async () => {
  const g = await loadGenerator(OLD_RESNET, { which: 'G_A' });
  const { max } = curvatureOf(g);
  g.dispose();
  assert.ok(max > 0.01, `trained ResNet second difference in a flat area is only ${max}`);
});

test('no invention holds for the trained default (both directions)', async () => {
  for (const which of ['G_A', 'G_B'] as const) {
    const g = await loadGenerator(DEFAULT_MODEL, { which });
    assert.ok(g instanceof BilateralGenerator, `the default ${which} is a bilateral generator`);
    const { max } = curvatureOf(g);
    g.dispose();
    assert.ok(max < 1e-4, `default ${which}: second difference ${max} in a flat area`);
  }
});

/**
 * Rebuilds each pixel's transform from the grids: hinge weights and additive term interpolated to the
 * pixel (the same matrices the generator uses), then checks slopes and that the output is T_p(x_p).
 */
function checkTransforms(g: BilateralGenerator): { minSlope: number; maxSlope: number; maxMismatch: number } {
  const x = scene();
  const out = g.apply(x).dataSync() as Float32Array;
  const { curves, additive } = g.grids(x);
  const hinge = upsample(curves.dataSync() as Float32Array, BILATERAL_GRID, curves.shape[3]);
  const add = upsample(additive.dataSync() as Float32Array, BILATERAL_LIGHT_GRID, 3);
  const xs = x.dataSync() as Float32Array;
  tf.dispose([x, curves, additive]);
  const segments = CURVE_KNOTS.length;
  let minSlope = Infinity;
  let maxSlope = 0;
  let maxMismatch = 0;
  for (let p = 0; p < H * W; p++) {
    for (let c = 0; c < 3; c++) {
      let slope = 0;
      let f = -1;
      for (let d = 0; d < segments; d++) {
        const h = hinge[p * 3 * segments + c * segments + d];
        slope += h;
        minSlope = Math.min(minSlope, slope);
        maxSlope = Math.max(maxSlope, slope);
        f += h * Math.max(0, xs[p * 3 + c] - CURVE_KNOTS[d]);
      }
      maxMismatch = Math.max(maxMismatch, Math.abs(f + add[p * 3 + c] - out[p * 3 + c]));
    }
  }
  return { minSlope, maxSlope, maxMismatch };
}

/** [gh * gw * C] grid (HWC) -> [H * W * C] by the generator's bilinear matrices. */
function upsample(grid: Float32Array, [gh, gw]: readonly [number, number] | readonly number[], channels: number): Float32Array {
  const rows = bilinearMatrix(H, gh);
  const cols = bilinearMatrix(W, gw);
  const out = new Float32Array(H * W * channels);
  for (let y = 0; y < H; y++) {
    for (let i = 0; i < gh; i++) {
      const wy = rows[y * gh + i];
      if (wy === 0) continue;
      for (let x = 0; x < W; x++) {
        for (let j = 0; j < gw; j++) {
          const w = wy * cols[x * gw + j];
          if (w === 0) continue;
          for (let c = 0; c < channels; c++) out[(y * W + x) * channels + c] += w * grid[(i * gw + j) * channels + c];
        }
      }
    }
  }
  return out;
}

function assertTransforms(g: BilateralGenerator, label: string): void {
  const { minSlope, maxSlope, maxMismatch } = checkTransforms(g);
  assert.ok(minSlope >= SLOPE_MIN - 1e-6, `${label}: slope ${minSlope} below ${SLOPE_MIN}`);
  assert.ok(maxSlope <= SLOPE_MAX + 1e-6, `${label}: slope ${maxSlope} above ${SLOPE_MAX}`);
  assert.ok(maxMismatch < 1e-4, `${label}: the output differs by ${maxMismatch} from the per-pixel transform`);
}

test('no erasure: every pixel\'s transform is increasing with slopes in [1/16, 8] and gives the output, random weights', () => {
  for (const seed of [1, 2]) {
    const g = new BilateralGenerator({ ngf: 8, nBlocks: 1 }, { seed, initGain: 0.1 });
    assertTransforms(g, `seed ${seed}`);
    g.dispose();
  }
});

test('no erasure holds for the trained default (both directions)', async () => {
  for (const which of ['G_A', 'G_B'] as const) {
    const g = await loadGenerator(DEFAULT_MODEL, { which });
    assert.ok(g instanceof BilateralGenerator);
    assertTransforms(g, `default ${which}`);
    g.dispose();
  }
});

/**
 * Largest spread, over grid cells and segments, of the three channels' slope logits (the slopes read
 * back from the hinge weights and inverted through the bounded sigmoid).
 */
function channelLogitSpread(g: BilateralGenerator): number {
  const x = scene();
  const { curves, additive } = g.grids(x);
  const hinge = curves.dataSync() as Float32Array;
  tf.dispose([x, curves, additive]);
  const segments = CURVE_KNOTS.length;
  const logit = (s: number) => { const u = (s - SLOPE_MIN) / (SLOPE_MAX - SLOPE_MIN); return Math.log(u / (1 - u)) - SLOPE_SHIFT; };
  let spread = 0;
  for (let cell = 0; cell < hinge.length / (3 * segments); cell++) {
    const slope = [0, 0, 0];
    for (let d = 0; d < segments; d++) {
      const l = slope.map((_, c) => logit((slope[c] += hinge[(cell * 3 + c) * segments + d])));
      // Within 1% of a slope bound the float32 slope no longer pins the logit down.
      if (l.every(Number.isFinite) && slope.every((v) => Math.abs(v - SLOPE_MIN) > 0.07 && Math.abs(v - SLOPE_MAX) > 0.07)) {
        spread = Math.max(spread, Math.max(...l) - Math.min(...l));
      }
    }
  }
  return spread;
}

test('hue: the three channels\' slope logits stay within twice the deviation bound of each other', async () => {
  // A large init gain saturates the deviation, so the bound is what limits the spread.
  const random = new BilateralGenerator({ ngf: 8, nBlocks: 1 }, { seed: 3, initGain: 0.04 });
  const spread = channelLogitSpread(random);
  random.dispose();
  assert.ok(spread > CHANNEL_DEVIATION_MAX, `random: spread ${spread} does not exercise the bound`);
  assert.ok(spread <= 2 * CHANNEL_DEVIATION_MAX + 1e-2, `random: spread ${spread} above ${2 * CHANNEL_DEVIATION_MAX}`);
  for (const which of ['G_A', 'G_B'] as const) {
    const g = await loadGenerator(DEFAULT_MODEL, { which });
    assert.ok(g instanceof BilateralGenerator);
    const trained = channelLogitSpread(g);
    g.dispose();
    assert.ok(trained <= 2 * CHANNEL_DEVIATION_MAX + 1e-2, `default ${which}: spread ${trained} above ${2 * CHANNEL_DEVIATION_MAX}`);
  }
});
