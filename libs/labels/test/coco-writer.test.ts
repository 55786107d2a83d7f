import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  annotationMask,
  annotationToRle,
  cocoDatasetToJson,
  maskToAnnotationFields,
  maskToSegmentation,
  readCocoDataset,
  rleDecode,
  writeCocoDataset,
  type CocoDataset,
  type CocoRleJson,
} from '../src/coco/index.ts';
import { REAL_COCO_JSONS, REAL_RLE_JSON, lcg, needs } from './coco-helpers.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'coco-writer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The same object with its keys inserted in reverse order, recursively. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

for (const { split, json } of [...REAL_COCO_JSONS, { split: 'bdd100k-rle', json: REAL_RLE_JSON }]) {
  test(`round trip ${split}: read, write, read gives the same dataset; writing twice gives the same bytes`, needs(json), async (t) => {
    const dir = await tempDir(t);
    const ds = await readCocoDataset(json);
    const first = join(dir, 'first.json');
    const second = join(dir, 'second.json');
    await writeCocoDataset(first, ds);
    const back = await readCocoDataset(first);
    assert.deepEqual(back.annotations, ds.annotations);
    assert.deepEqual(back, ds);
    await writeCocoDataset(second, back);
    assert.deepEqual(await readFile(second), await readFile(first));
    // Key order in memory does not leak into the file.
    assert.equal(cocoDatasetToJson(reversedKeys(ds) as CocoDataset), await readFile(first, 'utf8'));
    assert.deepEqual((await readdir(dir)).sort(), ['first.json', 'second.json']);
  });
}

test('canonical key order: COCO keys first in file order, other keys sorted', () => {
  const text = cocoDatasetToJson({
    categories: [{ name: 'car', id: 1 }],
    zeta: 1,
    annotations: [{ iscrowd: 0, bbox: [0, 0, 1, 1], area: 1, segmentation: { counts: 'a', size: [1, 1] }, category_id: 1, image_id: 1, id: 1, score: 0.5 }],
    images: [{ width: 1, height: 1, file_name: 'a.jpg', id: 1 }],
    alpha: { b: 1, a: 2 },
  } as unknown as CocoDataset);
  assert.equal(
    text,
    '{"images":[{"id":1,"file_name":"a.jpg","width":1,"height":1}],' +
      '"annotations":[{"id":1,"image_id":1,"category_id":1,"segmentation":{"size":[1,1],"counts":"a"},"area":1,"bbox":[0,0,1,1],"iscrowd":0,"score":0.5}],' +
      '"categories":[{"id":1,"name":"car"}],"alpha":{"a":2,"b":1},"zeta":1}\n',
  );
});

test('a failed write leaves the old file and no temp file behind', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'instances.json');
  await writeFile(path, 'old');
  const bad = { images: [], annotations: [], categories: [{ id: 1, name: 'x', weight: Number.NaN }] } as CocoDataset;
  await assert.rejects(writeCocoDataset(path, bad), /cannot write NaN at \/categories\/0\/weight/);
  assert.equal(await readFile(path, 'utf8'), 'old');
  assert.deepEqual(await readdir(dir), ['instances.json']);
  // A good write replaces it.
  await writeCocoDataset(path, { images: [], annotations: [], categories: [] });
  assert.equal(await readFile(path, 'utf8'), '{"images":[],"annotations":[],"categories":[]}\n');
  assert.deepEqual(await readdir(dir), ['instances.json']);
});

test('maskToSegmentation reproduces the real compressed strings from their decoded masks', needs(REAL_RLE_JSON), () => {
  const ds = JSON.parse(readFileSync(REAL_RLE_JSON, 'utf8')) as CocoDataset;
  const { width, height } = ds.images[0];
  for (const ann of ds.annotations) {
    const segm = ann.segmentation as CocoRleJson;
    const mask = rleDecode(annotationToRle(segm, height, width));
    const out = maskToSegmentation(mask, width, height);
    assert.deepEqual(out.size, [height, width]);
    if (typeof segm.counts === 'string') assert.equal(out.counts, segm.counts);
    const fields = maskToAnnotationFields(mask, width, height, { iscrowd: true });
    assert.deepEqual(fields, { segmentation: out, area: ann.area, bbox: ann.bbox, iscrowd: 1 });
  }
});

test('masks written as RLE read back pixel for pixel', async (t) => {
  const dir = await tempDir(t);
  const next = lcg(3);
  const width = 37;
  const height = 23;
  const masks = Array.from({ length: 5 }, (_, k) => {
    const m = new Uint8Array(width * height);
    const [cx, cy, r] = [next() * width, next() * height, 2 + next() * 10];
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) m[y * width + x] = Math.hypot(x - cx, y - cy) < r || (k === 0 && next() < 0.1) ? 1 : 0;
    return m;
  });
  const ds: CocoDataset = {
    images: [{ id: 1, file_name: 'a.png', width, height }],
    annotations: masks.map((m, i) => ({ id: i + 1, image_id: 1, category_id: 1, ...maskToAnnotationFields(m, width, height, { iscrowd: i === 0 }) })),
    categories: [{ id: 1, name: 'thing' }],
  };
  const path = join(dir, 'masks.json');
  await writeCocoDataset(path, ds);
  const back = await readCocoDataset(path);
  back.annotations.forEach((ann, i) => {
    assert.deepEqual(annotationMask(ann, height, width), masks[i]);
    assert.equal(ann.iscrowd, i === 0 ? 1 : 0);
  });
});
