import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  annotationToRle,
  rleArea,
  rleDecode,
  rleEncode,
  rleFromString,
  rleIou,
  rleMerge,
  rleToBbox,
  rleToString,
  type Rle,
} from '../src/coco/index.ts';
import type { CocoDataset, CocoRleJson } from '../src/coco/index.ts';
import { REAL_RLE_JSON, countOnes, lcg, maskBbox, needs } from './coco-helpers.ts';

const rle = (height: number, width: number, counts: number[]): Rle => ({ height, width, counts: Uint32Array.from(counts) });

test('pycocotools doc vectors: counts start with zeros and walk the column-major vector', () => {
  // mask.py: [0 0 1 1 1 0 1] -> [2 3 1 1], [1 1 1 1 1 1 0] -> [0 6 1]. As a 7x1 column and a 1x7 row.
  for (const [h, w] of [[7, 1], [1, 7]]) {
    assert.deepEqual(Array.from(rleEncode(Uint8Array.of(0, 0, 1, 1, 1, 0, 1), h, w).counts), [2, 3, 1, 1]);
    assert.deepEqual(Array.from(rleEncode(Uint8Array.of(1, 1, 1, 1, 1, 1, 0), h, w).counts), [0, 6, 1]);
    assert.deepEqual(Array.from(rleDecode(rle(h, w, [2, 3, 1, 1]))), [0, 0, 1, 1, 1, 0, 1]);
    assert.deepEqual(Array.from(rleDecode(rle(h, w, [0, 6, 1]))), [1, 1, 1, 1, 1, 1, 0]);
  }
});

test('encode walks a row-major mask in column-major order and decode transposes back', () => {
  // rows [0 1 1] / [0 1 0]: columns are (0,0), (1,1), (1,0) -> column-major 0 0 1 1 1 0 -> [2 3 1]
  const mask = Uint8Array.of(0, 1, 1, 0, 1, 0);
  const r = rleEncode(mask, 2, 3);
  assert.deepEqual(Array.from(r.counts), [2, 3, 1]);
  assert.deepEqual(rleDecode(r), mask);
  assert.equal(rleArea(r), 3);
  assert.deepEqual(rleToBbox(r), [1, 0, 2, 2]);
  // Any non-zero byte is foreground.
  assert.deepEqual(Array.from(rleEncode(Uint8Array.of(0, 255, 7, 0), 2, 2).counts), [1, 2, 1]);
});

test('compressed strings, derived by hand from the rleToString rules', () => {
  // [2,3,1,1]: '2','3','1', then 1-3 = -2 -> 5-bit group 30 with the sign bit set -> 30+48 = 'N'.
  assert.equal(rleToString(rle(7, 1, [2, 3, 1, 1])), '231N');
  // 100 = 3*32 + 4: group 4 with the continue bit (4|32)+48 = 'T', then 3 -> '3'.
  assert.equal(rleToString(rle(100, 1, [100])), 'T3');
  // 16 has bit 0x10 set, so a 0 group must follow to mark it positive: '`' then '0'.
  assert.equal(rleToString(rle(16, 1, [16])), '`0');
  assert.deepEqual(Array.from(rleFromString('231N', 7, 1).counts), [2, 3, 1, 1]);
  assert.deepEqual(Array.from(rleFromString('T3', 100, 1).counts), [100]);
  assert.deepEqual(Array.from(rleFromString('`0', 16, 1).counts), [16]);
});

test('string encoding round-trips large counts and large negative deltas', () => {
  const next = lcg(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(next() * 40);
    const counts = Array.from({ length: n }, () => {
      const pick = next();
      if (pick < 0.1) return 0;
      if (pick < 0.2) return 0xffffffff - Math.floor(next() * 5);
      return Math.floor(next() * 2 ** (1 + Math.floor(next() * 31)));
    });
    const r = rle(1, 1, counts);
    const s = rleToString(r);
    assert.match(s, /^[0-o]*$/);
    assert.deepEqual(Array.from(rleFromString(s, 1, 1).counts), counts);
  }
});

test('rleFromString rejects characters outside the alphabet and truncated values', () => {
  assert.throws(() => rleFromString('23~', 7, 1), /invalid character/);
  assert.throws(() => rleFromString('2T', 7, 1), /ends inside a value/);
  assert.throws(() => rleDecode(rle(3, 3, [2, 3])), /sum to 5/);
});

test('random masks: decode(encode(m)) = m, area and bbox agree with a pixel scan', () => {
  const next = lcg(11);
  for (let trial = 0; trial < 50; trial++) {
    const h = 1 + Math.floor(next() * 23);
    const w = 1 + Math.floor(next() * 31);
    const density = next();
    const mask = new Uint8Array(h * w);
    for (let i = 0; i < mask.length; i++) mask[i] = next() < density ? 1 : 0;
    const r = rleEncode(mask, h, w);
    assert.deepEqual(rleDecode(r), mask);
    assert.equal(rleArea(r), countOnes(mask));
    assert.deepEqual(rleToBbox(r), maskBbox(mask, w, h));
    assert.deepEqual(rleFromString(rleToString(r), h, w), r);
  }
});

test('merge and iou agree with pixelwise AND/OR on random masks', () => {
  const next = lcg(5);
  const h = 13;
  const w = 17;
  for (let trial = 0; trial < 40; trial++) {
    const masks = Array.from({ length: 2 + Math.floor(next() * 3) }, () => {
      const m = new Uint8Array(h * w);
      const d = next();
      for (let i = 0; i < m.length; i++) m[i] = next() < d ? 1 : 0;
      return m;
    });
    const rles = masks.map((m) => rleEncode(m, h, w));
    const or = new Uint8Array(h * w);
    const and = new Uint8Array(h * w).fill(1);
    for (const m of masks) for (let i = 0; i < m.length; i++) {
      or[i] |= m[i];
      and[i] &= m[i];
    }
    // Merged counts must equal a fresh encode (no zero-length runs inside), not just decode equally.
    assert.deepEqual(rleMerge(rles), rleEncode(or, h, w));
    assert.deepEqual(rleMerge(rles, true), rleEncode(and, h, w));

    const [a, b] = masks;
    let inter = 0;
    let union = 0;
    for (let i = 0; i < a.length; i++) {
      inter += a[i] & b[i];
      union += a[i] | b[i];
    }
    const expected = inter === 0 ? 0 : inter / union;
    assert.ok(Math.abs(rleIou(rles[0], rles[1]) - expected) < 1e-12);
    const crowd = inter === 0 ? 0 : inter / countOnes(a);
    assert.ok(Math.abs(rleIou(rles[0], rles[1], true) - crowd) < 1e-12);
  }
});

test('real BDD100K RLEs: decode then encode reproduces every compressed string', needs(REAL_RLE_JSON), (t) => {
  const ds = JSON.parse(readFileSync(REAL_RLE_JSON, 'utf8')) as CocoDataset;
  const { height, width } = ds.images[0];
  let checked = 0;
  for (const ann of ds.annotations) {
    const segm = ann.segmentation as CocoRleJson;
    if (typeof segm.counts !== 'string') continue;
    const decoded = rleDecode(rleFromString(segm.counts, segm.size[0], segm.size[1]));
    assert.equal(decoded.length, height * width);
    assert.equal(rleToString(rleEncode(decoded, height, width)), segm.counts, `annotation ${ann.id}`);
    checked++;
  }
  assert.equal(checked, 11);
  t.diagnostic(`${checked} compressed strings reproduced byte for byte`);
});

test('real BDD100K RLEs: the uncompressed one re-encodes to the same counts', needs(REAL_RLE_JSON), () => {
  const ds = JSON.parse(readFileSync(REAL_RLE_JSON, 'utf8')) as CocoDataset;
  const { height, width } = ds.images[0];
  const plain = ds.annotations.filter((a) => Array.isArray((a.segmentation as CocoRleJson).counts));
  assert.equal(plain.length, 1);
  const segm = plain[0].segmentation as CocoRleJson;
  const r = annotationToRle(segm, height, width);
  const reencoded = rleEncode(rleDecode(r), height, width);
  assert.deepEqual(Array.from(reencoded.counts), segm.counts);
  // It is the same road mask as annotation 1, given there in compressed form.
  const road = ds.annotations.find((a) => a.id === 1)!.segmentation as CocoRleJson;
  assert.equal(rleToString(reencoded), road.counts);
});

test('real BDD100K RLEs: area and toBbox match the decoded masks and the pycocotools values in the file', needs(REAL_RLE_JSON), () => {
  const ds = JSON.parse(readFileSync(REAL_RLE_JSON, 'utf8')) as CocoDataset;
  const { height, width } = ds.images[0];
  const rles: Rle[] = [];
  const masks: Uint8Array[] = [];
  for (const ann of ds.annotations) {
    const r = annotationToRle(ann.segmentation, height, width);
    const mask = rleDecode(r);
    assert.equal(rleArea(r), countOnes(mask), `area of ${ann.id}`);
    assert.equal(rleArea(r), ann.area, `area of ${ann.id} vs file`);
    assert.deepEqual(rleToBbox(r), maskBbox(mask, width, height), `bbox of ${ann.id}`);
    assert.deepEqual(rleToBbox(r), ann.bbox, `bbox of ${ann.id} vs file`);
    rles.push(r);
    masks.push(mask);
  }
  // Merging the real masks agrees with pixelwise OR / AND.
  for (const [i, j] of [[0, 1], [1, 4], [6, 8], [4, 5]]) {
    const or = new Uint8Array(height * width);
    const and = new Uint8Array(height * width);
    for (let p = 0; p < or.length; p++) {
      or[p] = masks[i][p] | masks[j][p];
      and[p] = masks[i][p] & masks[j][p];
    }
    assert.deepEqual(rleDecode(rleMerge([rles[i], rles[j]])), or);
    assert.deepEqual(rleDecode(rleMerge([rles[i], rles[j]], true)), and);
  }
});
