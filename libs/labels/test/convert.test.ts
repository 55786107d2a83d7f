import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  annotationMask, cityscapesSampleToCoco, cityscapesToCoco, cocoFrameRef, cocoSamples, cocoToCityscapes, readCityscapes,
  readCityscapesSample, listCityscapesFrames, readCocoDataset, rleEncode, valueRle, validateCocoDataset,
  CITYSCAPES_COCO_CATEGORIES, labelById, labelByName,
} from '../src/index.ts';
import { REAL, REAL_COCO_JSONS, needs } from './coco-helpers.ts';

const CITYSCAPES = join(REAL, 'cityscapes');

test('valueRle of one value equals rleEncode of the full mask', () => {
  const width = 37;
  const height = 23;
  const map = new Uint16Array(width * height);
  for (let i = 0; i < map.length; i++) map[i] = (i * 7919) % 5 === 0 ? 26001 : 7;
  map.fill(0, 0, 40);
  const full = new Uint8Array(map.length);
  let x0 = width, x1 = -1;
  for (let i = 0; i < map.length; i++) {
    if (map[i] === 26001) {
      full[i] = 1;
      x0 = Math.min(x0, i % width);
      x1 = Math.max(x1, i % width);
    }
  }
  for (const [bx, bw] of [[x0, x1 - x0 + 1], [0, width]]) {
    const got = valueRle(map, width, height, 26001, [bx, 0, bw, height]);
    assert.deepEqual([...got.counts], [...rleEncode(full, height, width).counts]);
  }
  // Object touching the right border: no trailing zero run is added.
  const edge = new Uint8Array(width * height);
  edge[width - 1] = 1;
  assert.deepEqual([...valueRle(edge, width, height, 1, [width - 1, 0, 1, 1]).counts], [...rleEncode(edge, height, width).counts]);
});

test('Cityscapes → COCO → masks gives identical per-instance masks on the real frames', needs(CITYSCAPES), async () => {
  let checked = 0;
  for await (const sample of readCityscapes(CITYSCAPES)) {
    const { annotations } = cityscapesSampleToCoco(sample, 1, 1, 'x.png');
    const thingObjects = sample.objects.filter((o) => labelById(o.labelId)?.hasInstances);
    assert.equal(annotations.length, thingObjects.length, 'one annotation per instance or group of a hasInstances class');
    for (const [k, ann] of annotations.entries()) {
      const object = sample.objects[k];
      const mask = annotationMask(ann, sample.height, sample.width);
      let pixels = 0;
      for (let i = 0; i < mask.length; i++) {
        const expected = sample.instances[i] === object.instanceId ? 1 : 0;
        if (mask[i] !== expected) assert.fail(`${sample.id} instance ${object.instanceId}: pixel ${i} differs`);
        pixels += expected;
      }
      assert.equal(ann.area, pixels);
      assert.deepEqual(ann.bbox, object.bbox);
      assert.equal(ann.iscrowd, object.instanceId < 1000 ? 1 : 0);
      assert.equal(ann.category_id, object.labelId);
      checked++;
    }
  }
  assert.ok(checked > 20, `checked ${checked} instances`);
});

test('cityscapesToCoco writes a COCO dataset that validates and reads back', needs(CITYSCAPES), async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ns-cs2coco-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const result = await cityscapesToCoco(CITYSCAPES, out);
  assert.equal(result.images, 3);
  const jsonPath = join(out, 'annotations', 'instances_train.json');
  assert.deepEqual(result.jsonPaths, [jsonPath]);
  const ds = await readCocoDataset(jsonPath);
  assert.deepEqual(await validateCocoDataset(ds, jsonPath, join(out, 'train')), []);
  assert.deepEqual(ds.categories.map((c) => c.id), CITYSCAPES_COCO_CATEGORIES.map((c) => c.id));
  const frame = listCityscapesFrames(CITYSCAPES)[0];
  const sample = await readCityscapesSample(frame);
  const first = [...cocoSamples(ds, join(out, 'train'), jsonPath)][0];
  assert.deepEqual(first.objects.map((o) => o.pixelCount), sample.objects.filter((o) => labelById(o.labelId)?.hasInstances).map((o) => o.pixelCount));
});

test('COCO → Cityscapes keeps the masks of categories that are Cityscapes classes', needs(REAL_COCO_JSONS[0].json), async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ns-coco2cs-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const { json, images, split } = REAL_COCO_JSONS[0];
  const ds = await readCocoDataset(json);
  const result = await cocoToCityscapes(ds, images, out, split);
  assert.equal(result.frames, ds.images.length);
  const frames = listCityscapesFrames(out);
  assert.equal(frames.length, ds.images.length);
  const sample = await readCityscapesSample(frames[0]);
  const coco = [...cocoSamples(ds, images, json)][0];
  // Every annotation of a Cityscapes class keeps its class on its pixels, except where a smaller
  // object was drawn over it.
  const categoryName = new Map(ds.categories.map((c) => [c.id, c.name]));
  const mapped = coco.annotations.filter((a) => labelByName(categoryName.get(a.category_id)!) !== undefined);
  assert.ok(mapped.length > 0);
  for (const ann of mapped) {
    const name = categoryName.get(ann.category_id)!;
    const mask = annotationMask(ann, coco.height, coco.width);
    let inside = 0, same = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      inside++;
      if (labelById(sample.semantic[i])?.name === name) same++;
    }
    assert.ok(same / inside > 0.9, `${name} annotation ${ann.id}: ${same}/${inside} pixels kept`);
  }
  const unmappedAnnotations = coco.annotations.length - mapped.length;
  assert.equal(Object.values(result.unmapped).reduce((a, b) => a + b, 0), unmappedAnnotations);
});

test('COCO → Cityscapes keeps the frame a Cityscapes file_name names; other names become coco_<image id>', () => {
  assert.deepEqual(cocoFrameRef({ id: 1, file_name: 'lindau_000000_000019_leftImg8bit.png' }, 'val'), { split: 'val', city: 'lindau', id: 'lindau_000000_000019' });
  assert.deepEqual(cocoFrameRef({ id: 2, file_name: 'val/frankfurt/frankfurt_000001_012345.jpg' }, 'val'), { split: 'val', city: 'frankfurt', id: 'frankfurt_000001_012345' });
  assert.deepEqual(cocoFrameRef({ id: 3, file_name: '000000139.jpg' }, 'train'), { split: 'train', city: 'coco', id: 'coco_000003_000000' });
});

test('Cityscapes → COCO → Cityscapes gives back the frame names', needs(CITYSCAPES), async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ns-roundtrip-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const coco = await cityscapesToCoco(CITYSCAPES, join(out, 'coco'));
  const back = join(out, 'cityscapes');
  for (const json of coco.jsonPaths) {
    const split = json.replace(/^.*instances_(\w+)\.json$/, '$1');
    await cocoToCityscapes(await readCocoDataset(json), join(out, 'coco', split), back, split);
  }
  const ids = (root: string) => listCityscapesFrames(root).map((f) => `${f.split}/${f.city}/${f.id}`).sort();
  assert.deepEqual(ids(back), ids(CITYSCAPES));
});
