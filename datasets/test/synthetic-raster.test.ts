import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rasterise, containsPixel } from '../src/synthetic/raster.ts';
import { Rng } from '../src/synthetic/prng.ts';
import type { Shape } from '../src/synthetic/types.ts';

const W = 61, H = 43;

function rasterMask(shape: Shape): Uint8Array {
  const mask = new Uint8Array(W * H);
  rasterise(shape, W, H, (y, x0, x1) => {
    assert.ok(y >= 0 && y < H && x0 >= 0 && x1 <= W && x0 < x1, `span out of range: ${y} ${x0} ${x1}`);
    for (let x = x0; x < x1; x++) {
      assert.equal(mask[y * W + x], 0, 'a pixel is emitted twice');
      mask[y * W + x] = 1;
    }
  });
  return mask;
}

function oracleMask(shape: Shape): Uint8Array {
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) mask[y * W + x] = containsPixel(shape, x, y) ? 1 : 0;
  return mask;
}

function randomShape(rng: Rng, kind: number): Shape {
  const c = (): number => rng.range(-20, W + 20);
  const r = (): number => rng.range(-20, H + 20);
  switch (kind) {
    case 0: return { type: 'rect', x: c(), y: r(), w: rng.range(0, 40), h: rng.range(0, 30) };
    case 1: return { type: 'ellipse', cx: c(), cy: r(), rx: rng.range(0.3, 30), ry: rng.range(0.3, 25) };
    case 2: return { type: 'ring', cx: c(), cy: r(), rx: rng.range(1, 30), ry: rng.range(1, 25), thickness: rng.range(0.5, 8) };
    default: {
      // Random polygons with 3..9 vertices: convex, concave and self-intersecting ones (even-odd rule).
      const n = rng.int(3, 9);
      const points: number[] = [];
      for (let i = 0; i < n; i++) points.push(c(), r());
      return { type: 'poly', points };
    }
  }
}

test('rasterise covers exactly the pixels whose centres lie inside the shape', () => {
  const rng = new Rng(2024);
  let covered = 0;
  for (let i = 0; i < 400; i++) {
    const shape = randomShape(rng, i % 4);
    const got = rasterMask(shape), want = oracleMask(shape);
    for (let p = 0; p < got.length; p++) {
      if (got[p] !== want[p]) assert.fail(`shape ${i} ${JSON.stringify(shape)}: pixel (${p % W}, ${Math.floor(p / W)}) raster ${got[p]} oracle ${want[p]}`);
      covered += got[p];
    }
  }
  assert.ok(covered > 10000, 'the random shapes cover a meaningful number of pixels');
});

test('shapes that share an edge tile without gaps or overlap', () => {
  // Two triangles splitting a quad along a diagonal: every pixel of the quad belongs to exactly one.
  const quad = [3.3, 4.1, 50.7, 2.2, 55.2, 39.9, 1.1, 35.4];
  const a: Shape = { type: 'poly', points: [quad[0], quad[1], quad[2], quad[3], quad[4], quad[5]] };
  const b: Shape = { type: 'poly', points: [quad[0], quad[1], quad[4], quad[5], quad[6], quad[7]] };
  const whole = rasterMask({ type: 'poly', points: quad });
  const ma = rasterMask(a), mb = rasterMask(b);
  for (let p = 0; p < whole.length; p++) assert.equal(ma[p] + mb[p], whole[p], `pixel ${p}`);
});
