import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fillPolygonLikePil } from '../src/cityscapes/pil-polygon.ts';
import { parseCityscapesPolygons, rasterisePolygons, type CityscapesPolygons } from '../src/cityscapes/polygons.ts';
import { tracePolygons } from '../src/cityscapes/trace.ts';
import { DatasetError } from '../src/errors.ts';
import { readGrey16, readGrey8 } from '../src/png.ts';
import { REAL_FRAMES, countEqual, needsReal, realLabelPath, runPython, tempDir } from './helpers/cityscapes.ts';

const dir = tempDir('polygons');
after(() => rmSync(dir, { recursive: true, force: true }));

type Poly = { points: [number, number][]; value: number };

/** Pillow's drawing of each case (a list of polygons on a fresh image). */
function pilDraw(width: number, height: number, mode: 'L' | 'I', cases: Poly[][]): Int32Array[] {
  const spec = join(dir, 'spec.json'), out = join(dir, 'out.raw');
  writeFileSync(spec, JSON.stringify({ width, height, mode, cases }));
  runPython('pil_polygons.py', [spec, out]);
  const bytes = readFileSync(out);
  const all = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  return cases.map((_, i) => all.subarray(i * width * height, (i + 1) * width * height));
}

/** Pillow's json2labelImg / json2instanceImg of a polygons json. */
function pilRasterise(json: CityscapesPolygons): { semantic: Uint8Array; instances: Int32Array } {
  const src = join(dir, 'polygons.json'), l = join(dir, 'l.raw'), i = join(dir, 'i.raw');
  writeFileSync(src, JSON.stringify(json));
  runPython('json2label_pil.py', [src, l, i]);
  const ib = readFileSync(i);
  return { semantic: new Uint8Array(readFileSync(l)), instances: new Int32Array(ib.buffer, ib.byteOffset, ib.length / 4) };
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

test('polygon fill equals Pillow ImageDraw.polygon on random polygons', () => {
  const rnd = lcg(20240607);
  const W = 40, H = 30;
  const steps = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]];
  const cases: Poly[][] = [];
  for (let c = 0; c < 600; c++) {
    const n = 2 + Math.floor(rnd() * (c % 3 === 0 ? 20 : 6));
    const traced = rnd() < 0.3;
    const fractional = !traced && rnd() < 0.2;
    const points: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (traced && i > 0) {
        // Axis and diagonal runs, like traced outlines.
        const [dx, dy] = steps[Math.floor(rnd() * 8)];
        const len = 1 + Math.floor(rnd() * 5);
        points.push([points[i - 1][0] + dx * len, points[i - 1][1] + dy * len]);
      } else {
        const x = rnd() * (W + 10) - 5, y = rnd() * (H + 10) - 5;
        points.push(fractional ? [x, y] : [Math.floor(x), Math.floor(y)]);
      }
    }
    cases.push([{ points, value: 1 + (c % 250) }]);
  }
  const pil = pilDraw(W, H, 'L', cases);
  let mismatched = 0;
  cases.forEach(([poly], c) => {
    const ours = new Uint8Array(W * H);
    fillPolygonLikePil(ours, W, H, poly.points, poly.value);
    if (countEqual(ours, pil[c]) !== W * H) {
      mismatched++;
      if (mismatched <= 3) console.log('differs from Pillow:', JSON.stringify(poly.points));
    }
  });
  assert.equal(mismatched, 0, `${mismatched} of ${cases.length} polygons differ from Pillow`);
});

const sample: CityscapesPolygons = {
  imgHeight: 40,
  imgWidth: 60,
  objects: [
    { label: 'road', polygon: [[0, 20], [59, 20], [59, 39], [0, 39]] },
    { label: 'sky', polygon: [[0, 0], [59, 0], [59, 19], [0, 19]] },
    { label: 'car', polygon: [[5, 15], [25, 15], [25, 30], [5, 30]] },
    { label: 'car', polygon: [[20, 18], [40, 22], [30, 35]] },
    { label: 'cargroup', polygon: [[42, 16], [58, 16], [58, 28], [42, 28]] },
    { label: 'person', polygon: [[10, 2], [14, 2], [14, 14], [10, 14]], deleted: 1 },
    { label: 'person', polygon: [[44, 5], [48, 5], [47, 25], [45, 25]] },
    { label: 'license plate', polygon: [[8, 26], [14, 26], [14, 28], [8, 28]] },
    { label: 'car', polygon: [[50.4, 30.5], [55.6, 30.49], [53, 37]], deleted: false },
    { label: 'bicycle', polygon: [[1, 1], [3, 1]] },
  ],
};

test('rasterisePolygons equals json2labelImg and json2instanceImg run with Pillow', () => {
  const ours = rasterisePolygons(parseCityscapesPolygons(JSON.stringify(sample), 'sample.json'));
  const pil = pilRasterise(sample);
  assert.equal(countEqual(ours.semantic, pil.semantic), 60 * 40, 'labelIds');
  assert.equal(countEqual(ours.instances, pil.instances), 60 * 40, 'instanceIds');
  const values = new Set(ours.instances);
  // Cars 26000, 26001 (26002 is the third car, drawn last), a car group 26, one person 24000 (the
  // deleted one takes no index), no license plate (id -1), bicycle 33000.
  for (const v of [26000, 26001, 26002, 26, 24000, 33000, 7, 23]) assert.ok(values.has(v), `value ${v}`);
  assert.ok(!values.has(24001));
});

test('the polygons json schema: errors name the file, the JSON pointer and the problem', () => {
  const bad: [unknown, string, RegExp][] = [
    [{ imgHeight: 10, objects: [] }, '', /missing required property 'imgWidth'/],
    [{ imgHeight: 10, imgWidth: 10.5, objects: [] }, '/imgWidth', /must be integer/],
    [{ imgHeight: 10, imgWidth: 10, objects: [{ label: 'car', polygon: [[1, 2], [3, 4, 5]] }] }, '/objects/0/polygon/1', /must NOT have more than 2 items/],
    [{ imgHeight: 10, imgWidth: 10, objects: [{ label: 'car', polygon: [[1, 2]] }] }, '/objects/0/polygon', /must NOT have fewer than 2 items/],
    [{ imgHeight: 10, imgWidth: 10, objects: [{ label: 'car', polygon: [[1, 'x'], [3, 4]] }] }, '/objects/0/polygon/0/1', /must be number/],
    [{ imgHeight: 10, imgWidth: 10, objects: [{ polygon: [[1, 2], [3, 4]] }] }, '/objects/0', /missing required property 'label'/],
    [{ imgHeight: 10, imgWidth: 10, objects: [{ label: 'road', polygon: [[0, 0], [1, 1]] }, { label: 'spaceship', polygon: [[1, 2], [3, 4]] }] }, '/objects/1/label', /unknown label 'spaceship'/],
  ];
  for (const [json, pointer, reason] of bad) {
    assert.throws(() => parseCityscapesPolygons(JSON.stringify(json), 'x_gtFine_polygons.json'), (err: unknown) => {
      assert.ok(err instanceof DatasetError);
      assert.equal(err.file, 'x_gtFine_polygons.json');
      assert.equal(err.pointer, pointer);
      assert.match(err.message, /^x_gtFine_polygons\.json at \//);
      assert.match(err.reason, reason);
      return true;
    });
  }
  assert.throws(() => parseCityscapesPolygons('{"imgHeight": 1,', 'y.json'), /y\.json: invalid JSON/);
});

test('traced polygons of the real frames rasterise back to labelIds (ours and Pillow)', { skip: needsReal }, async () => {
  for (const id of REAL_FRAMES) {
    const labels = await readGrey8(realLabelPath(id, 'labelIds'));
    const instances = await readGrey16(realLabelPath(id, 'instanceIds'));
    const polygons = tracePolygons(labels.data, instances.data, labels.width, labels.height);
    const n = labels.data.length;
    const ours = rasterisePolygons(polygons);
    const pil = pilRasterise(polygons);
    const oursAgree = countEqual(ours.semantic, labels.data) / n;
    const pilAgree = countEqual(pil.semantic, labels.data) / n;
    console.log(`${id}: ${polygons.objects.length} polygons; labelIds agreement ours ${(100 * oursAgree).toFixed(4)}%, Pillow ${(100 * pilAgree).toFixed(4)}%`);
    assert.ok(oursAgree >= 0.99, `ours ${oursAgree}`);
    assert.ok(pilAgree >= 0.99, `Pillow ${pilAgree}`);
    assert.equal(countEqual(ours.semantic, pil.semantic), n, 'our rasteriser equals Pillow on every pixel');
    assert.equal(countEqual(ours.instances, pil.instances), n, 'instanceIds too');
  }
});

test('tracing a synthetic mask with holes and thin parts reproduces it', () => {
  const W = 50, H = 30;
  const semantic = new Uint8Array(W * H).fill(7);
  const instances = new Uint16Array(W * H).fill(7);
  const paint = (x0: number, y0: number, x1: number, y1: number, label: number, inst: number) => {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) { semantic[y * W + x] = label; instances[y * W + x] = inst; }
  };
  paint(2, 2, 40, 25, 11, 11); // building with a hole
  paint(10, 8, 20, 15, 26, 26000); // a car in the hole
  paint(12, 10, 13, 11, 0, 0); // unlabeled inside the car
  paint(30, 5, 30, 20, 17, 17); // 1-pixel-wide pole
  paint(45, 3, 45, 3, 20, 20); // a single pixel
  paint(42, 20, 48, 27, 24, 24); // a person group
  const polygons = tracePolygons(semantic, instances, W, H);
  assert.ok(polygons.objects.some((o) => o.label === 'persongroup'));
  const ours = rasterisePolygons(polygons);
  assert.equal(countEqual(ours.semantic, semantic), W * H);
  const back = rasterisePolygons(polygons);
  assert.deepEqual(back.instances.filter((v) => v >= 1000).length, instances.filter((v) => v >= 1000).length);
});
