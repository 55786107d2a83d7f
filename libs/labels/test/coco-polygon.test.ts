// rleFrPoly checks. pycocotools cannot be installed here, so the port is compared with
// (a) masks derived by hand from the algorithm's documented semantics: vertices are scaled x5 and
//     rounded ((int)(5v + .5)), and a pixel is inside when its centre (x + .5, y + .5) is inside the
//     rounded polygon, a centre exactly on an edge counting as outside;
// (b) an independent even-odd point-in-polygon test of the pixel centres, which must agree except
//     within 0.1 px of the boundary (the x5 digitisation of sloped edges);
// (c) the polygon areas stored in real COCO annotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { annotationToRle, rleArea, rleDecode, rleFromBbox, rleFromPolygon, rleToBbox } from '../src/coco/index.ts';
import type { CocoDataset } from '../src/coco/index.ts';
import { REAL_COCO_JSONS, countOnes, lcg, maskBbox, needs } from './coco-helpers.ts';

function maskFrom(width: number, height: number, inside: (x: number, y: number) => boolean): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) m[y * width + x] = inside(x, y) ? 1 : 0;
  return m;
}

const rasterise = (xy: number[], width: number, height: number): Uint8Array => rleDecode(rleFromPolygon(xy, height, width));

/** cocoapi's vertex rounding, (int)(5v + .5) / 5, with C's truncation toward zero. */
const roundVertex = (v: number): number => Math.trunc(5 * v + 0.5) / 5;

function centreInside(xy: number[], px: number, py: number): boolean {
  let inside = false;
  const n = xy.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = xy[2 * i];
    const yi = xy[2 * i + 1];
    const xj = xy[2 * j];
    const yj = xy[2 * j + 1];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distanceToBoundary(xy: number[], px: number, py: number): number {
  const n = xy.length / 2;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const ax = xy[2 * i];
    const ay = xy[2 * i + 1];
    const dx = xy[2 * j] - ax;
    const dy = xy[2 * j + 1] - ay;
    const len = dx * dx + dy * dy;
    const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
    best = Math.min(best, Math.hypot(px - ax - t * dx, py - ay - t * dy));
  }
  return best;
}

/** Pixels where the port and centre sampling disagree, and the farthest such pixel from the boundary. */
function compareWithCentreSampling(xy: number[], width: number, height: number): { differing: number; maxDistance: number } {
  const rounded = xy.map(roundVertex);
  const got = rasterise(xy, width, height);
  let differing = 0;
  let maxDistance = 0;
  const xs = rounded.filter((_, i) => i % 2 === 0);
  const ys = rounded.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // No centre outside the polygon's box can be inside it.
      const inBox = x + 0.5 >= x0 && x + 0.5 <= x1 && y + 0.5 >= y0 && y + 0.5 <= y1;
      const expected = inBox && centreInside(rounded, x + 0.5, y + 0.5) ? 1 : 0;
      if (got[y * width + x] !== expected) {
        differing++;
        maxDistance = Math.max(maxDistance, distanceToBoundary(rounded, x + 0.5, y + 0.5));
      }
    }
  }
  return { differing, maxDistance };
}

test('frBbox of an integer box covers exactly its w x h pixels', () => {
  const r = rleFromBbox([2, 3, 4, 5], 10, 12);
  assert.deepEqual(rleDecode(r), maskFrom(12, 10, (x, y) => x >= 2 && x <= 5 && y >= 3 && y <= 7));
  assert.equal(rleArea(r), 20);
  assert.deepEqual(rleToBbox(r), [2, 3, 4, 5]);
});

test('axis-aligned rectangle with fractional corners: pixels whose centres are inside', () => {
  // x in [1.4, 7.8] holds centres 1.5..7.5 (columns 1..7); y in [2.2, 5.6] holds rows 2..5.
  const got = rasterise([1.4, 2.2, 1.4, 5.6, 7.8, 5.6, 7.8, 2.2], 10, 8);
  assert.deepEqual(got, maskFrom(10, 8, (x, y) => x >= 1 && x <= 7 && y >= 2 && y <= 5));
  assert.equal(countOnes(got), 28);
});

test('vertex rounding to the 1/5 px grid decides which centres are inside', () => {
  // Left edge 0.49 -> (int)(2.45+.5)=2 -> 0.4 < 0.5: column 0 in. 0.5 and 0.51 -> 3 -> 0.6: column 0 out.
  const column0 = (left: number): number => rasterise([left, 0, left, 2, 3, 2, 3, 0], 4, 2)[0];
  assert.equal(column0(0.49), 1);
  assert.equal(column0(0.5), 0);
  assert.equal(column0(0.51), 0);
});

test('right triangle with its hypotenuse through pixel centres: centres on the edge are outside', () => {
  // (0,0) (10,0) (0,10): the centre of (x, 9-x) lies on x+y=10, so column x has rows 0..8-x.
  const got = rasterise([0, 0, 10, 0, 0, 10], 12, 12);
  assert.deepEqual(got, maskFrom(12, 12, (x, y) => x <= 8 && y <= 8 - x));
  assert.equal(countOnes(got), 45);
  // Moved half a pixel out, x+y=10.5 passes between centres: column x has rows 0..9-x.
  const bigger = rasterise([0, 0, 10.5, 0, 0, 10.5], 12, 12);
  assert.deepEqual(bigger, maskFrom(12, 12, (x, y) => x <= 9 && y <= 9 - x));
  assert.equal(countOnes(bigger), 55);
});

test('parts outside the image are clipped', () => {
  assert.deepEqual(rasterise([-3, -2, -3, 3, 4, 3, 4, -2], 5, 5), maskFrom(5, 5, (x, y) => x <= 3 && y <= 2));
  assert.deepEqual(rasterise([2, 2, 2, 9, 9, 9, 9, 2], 5, 5), maskFrom(5, 5, (x, y) => x >= 2 && y >= 2));
  assert.equal(countOnes(rasterise([6, 6, 6, 9, 9, 9, 9, 6], 5, 5)), 0);
});

test('degenerate input: no vertices is empty, an odd trailing coordinate is ignored, a repeated vertex is harmless', () => {
  assert.equal(countOnes(rasterise([], 4, 4)), 0);
  const square = [1, 1, 1, 3, 3, 3, 3, 1];
  assert.deepEqual(rasterise([...square, 7], 5, 5), rasterise(square, 5, 5));
  assert.deepEqual(rasterise([1, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1], 5, 5), rasterise(square, 5, 5));
});

test('polygon lists are rasterised ring by ring and merged (annToRLE)', () => {
  const a = [1, 1, 1, 4, 4, 4, 4, 1];
  const b = [3, 3, 3, 6, 6, 6, 6, 3];
  const r = annotationToRle([a, b], 8, 8);
  assert.equal(rleArea(r), 9 + 9 - 1);
  assert.deepEqual(rleDecode(r), maskFrom(8, 8, (x, y) => (x >= 1 && x <= 3 && y >= 1 && y <= 3) || (x >= 3 && x <= 5 && y >= 3 && y <= 5)));
  assert.equal(rleArea(annotationToRle([], 8, 8)), 0);
});

// Edges are axis-aligned or of slope ±1 with x+y or y-x = 5n+2 or 5n+3 in upsampled units, so they pass
// at least 0.28 px from every centre and their x5 digitisation is exact.
test('shapes with edges away from pixel centres match centre sampling exactly', () => {
  const shapes: Record<string, number[]> = {
    diamond: [10, 2.4, 17.6, 10, 10, 17.6, 2.4, 10],
    'L shape': [1.2, 1.2, 1.2, 14.8, 12.6, 14.8, 12.6, 9.8, 6.4, 9.8, 6.4, 1.2],
    'triangle x+y=10.5': [0, 0, 10.5, 0, 0, 10.5],
    'concave chevron': [2.4, 2, 12.4, 12, 2.4, 22, 2.4, 18, 8.4, 12, 2.4, 6],
  };
  for (const [name, xy] of Object.entries(shapes)) {
    assert.deepEqual(compareWithCentreSampling(xy, 22, 24), { differing: 0, maxDistance: 0 }, name);
  }
});

test('random polygons: any disagreement with centre sampling lies within 0.1 px of the boundary', (t) => {
  const next = lcg(2024);
  const width = 40;
  const height = 30;
  let differing = 0;
  let maxDistance = 0;
  for (let trial = 0; trial < 200; trial++) {
    const n = 3 + Math.floor(next() * 6);
    const xy: number[] = [];
    for (let i = 0; i < n; i++) xy.push(next() * (width + 10) - 5, next() * (height + 10) - 5);
    const r = compareWithCentreSampling(xy, width, height);
    differing += r.differing;
    maxDistance = Math.max(maxDistance, r.maxDistance);
  }
  t.diagnostic(`${differing} of ${200 * width * height} pixels differ, farthest ${maxDistance.toFixed(3)} px from the boundary`);
  assert.ok(maxDistance < 0.1, `disagreement ${maxDistance} px from the boundary`);
  assert.ok(differing < 0.01 * 200 * width * height);
});

function perimeter(rings: number[][]): number {
  let p = 0;
  for (const ring of rings) {
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      p += Math.hypot(ring[2 * j] - ring[2 * i], ring[2 * j + 1] - ring[2 * i + 1]);
    }
  }
  return p;
}

for (const { split, json } of REAL_COCO_JSONS) {
  test(`real COCO ${split} polygons: pixel counts match the stored areas, masks match centre sampling`, needs(json), (t) => {
    const ds = JSON.parse(readFileSync(json, 'utf8')) as CocoDataset;
    const images = new Map(ds.images.map((im) => [im.id, im]));
    let worst = { ratio: 1, id: 0, area: 0 };
    let worstLarge = 1;
    let sumCount = 0;
    let sumArea = 0;
    for (const ann of ds.annotations) {
      const rings = ann.segmentation as number[][];
      assert.ok(Array.isArray(rings));
      const { width, height } = images.get(ann.image_id)!;
      const r = annotationToRle(rings, height, width);
      const count = rleArea(r);
      const ratio = count / ann.area;
      if (Math.abs(ratio - 1) > Math.abs(worst.ratio - 1)) worst = { ratio, id: ann.id, area: ann.area };
      // Boundary pixels decide the difference: 2% for objects of 1000 px and more, a tenth of a
      // pixel per unit of perimeter for all (tiny objects differ by up to ~5% of their area).
      if (ann.area >= 1000) {
        worstLarge = Math.abs(ratio - 1) > Math.abs(worstLarge - 1) ? ratio : worstLarge;
        assert.ok(Math.abs(ratio - 1) <= 0.02, `annotation ${ann.id}: ${count} px vs area ${ann.area}`);
      }
      assert.ok(Math.abs(count - ann.area) <= 0.1 * perimeter(rings), `annotation ${ann.id}: ${count} px vs area ${ann.area}`);
      sumCount += count;
      sumArea += ann.area;
      // The mask's box sits within a pixel of the polygon's box.
      const box = rleToBbox(r);
      assert.deepEqual(box, maskBbox(rleDecode(r), width, height));
      const [x, y, w, h] = ann.bbox;
      const edges = [box[0] - x, box[1] - y, box[0] + box[2] - (x + w), box[1] + box[3] - (y + h)];
      assert.ok(edges.every((d) => Math.abs(d) <= 1), `annotation ${ann.id}: mask box ${box} vs ${ann.bbox}`);
      for (const ring of rings) {
        assert.ok(compareWithCentreSampling(ring, width, height).maxDistance < 0.1, `annotation ${ann.id}`);
      }
    }
    assert.ok(Math.abs(sumCount / sumArea - 1) < 0.005, `total ${sumCount} px vs ${sumArea}`);
    t.diagnostic(`${ds.annotations.length} annotations; worst count/area ${worst.ratio.toFixed(4)} (annotation ${worst.id}, area ${worst.area.toFixed(1)}); worst for area >= 1000: ${worstLarge.toFixed(4)}; total ${(sumCount / sumArea).toFixed(5)}`);
  });
}
