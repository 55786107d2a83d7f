// The instanceIds numbering and the name lookups of the label table, against the values the Cityscapes
// documentation gives (cityscapesScripts helpers/labels.py; instanceIds README: "id * 1000 + k").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cocoLabelMaps, instanceIndexOf, instanceValue, isInstanceValue, labelIdOf, labelIdsByName, rleEncode,
  type CocoAnnotation, type CocoCategory,
} from '../src/index.ts';

test('instanceIds values: car k=1 is 26001, a car group or stuff is its plain label id', () => {
  assert.equal(instanceValue(26, 0), 26000);
  assert.equal(instanceValue(26, 1), 26001);
  assert.equal(instanceValue(33, 999), 33999);
  for (const [value, labelId, instance] of [[26001, 26, true], [26000, 26, true], [26, 26, false], [7, 7, false], [0, 0, false], [33999, 33, true]] as const) {
    assert.equal(labelIdOf(value), labelId, `labelIdOf(${value})`);
    assert.equal(isInstanceValue(value), instance, `isInstanceValue(${value})`);
  }
  assert.equal(instanceIndexOf(24017), 17);
  assert.throws(() => instanceValue(26, 1000), RangeError);
  assert.throws(() => instanceValue(26, -1), RangeError);
  assert.throws(() => instanceValue(26, 1.5), RangeError);
});

test('labelIdsByName: ids in the order asked, unknown names refused', () => {
  assert.deepEqual(labelIdsByName('road', 'sidewalk', 'building', 'vegetation', 'terrain', 'sky'), [7, 8, 11, 21, 22, 23]);
  assert.deepEqual(labelIdsByName('sky', 'road'), [23, 7]);
  assert.throws(() => labelIdsByName('road', 'roads'), /'roads' is not a Cityscapes label name/);
});

const W = 8;
const H = 4;
const box = (x0: number, y0: number, x1: number, y1: number): Uint8Array => {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return m;
};
const ann = (id: number, category: number, mask: Uint8Array, iscrowd: 0 | 1 = 0): CocoAnnotation => {
  const rle = rleEncode(mask, H, W);
  let area = 0;
  for (const v of mask) area += v;
  return { id, image_id: 1, category_id: category, segmentation: { size: [H, W], counts: [...rle.counts] }, area, bbox: [0, 0, 1, 1], iscrowd };
};
const CATEGORIES: CocoCategory[] = [{ id: 1, name: 'car' }, { id: 2, name: 'person' }, { id: 3, name: 'dog' }, { id: 4, name: 'road' }];
const IMAGE = { width: W, height: H, file_name: 'a.png' };

test('cocoLabelMaps: largest first, instances numbered per class, crowds as groups, unknown classes counted', () => {
  const maps = cocoLabelMaps(IMAGE, [
    ann(10, 1, box(0, 0, 2, 2)), // small car, drawn last: stays visible over the big one
    ann(11, 1, box(0, 0, 6, 4)), // big car: k = 0
    ann(12, 2, box(6, 0, 8, 2), 1), // crowd of persons: plain label id
    ann(13, 3, box(6, 2, 8, 4)), // no Cityscapes class
    ann(14, 4, box(7, 3, 8, 4)), // stuff class by name
  ], CATEGORIES);
  assert.equal(maps.instances[0], 26001);
  assert.equal(maps.instances[2], 26000);
  assert.equal(maps.semantic[2], 26);
  assert.equal(maps.instances[6], 24);
  assert.equal(maps.semantic[6], 24);
  assert.equal(maps.instances[3 * W + 6], 0);
  assert.equal(maps.instances[3 * W + 7], 7);
  assert.deepEqual([...maps.valueOf].sort((a, b) => a[0] - b[0]), [[10, 26001], [11, 26000], [12, 24], [14, 7]]);
  assert.deepEqual(maps.unmapped, { dog: 1 });
});

test('cocoLabelMaps: 1001 instances of one class cannot be numbered and are refused, naming the place', () => {
  const many = Array.from({ length: 1001 }, (_, k) => ann(k + 1, 1, box(0, 0, 1, 1)));
  assert.throws(() => cocoLabelMaps(IMAGE, many, CATEGORIES, { file: 'x.json', pointer: '/images/3' }),
    (e: Error & { file?: string; pointer?: string }) => e.name === 'DatasetError' && /more than 1000 car instances in one image/.test(e.message) && e.pointer === '/images/3');
});
