import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nightshift, needs, REAL } from './helpers.ts';

test('validate reports the 77-pixel labelTrainIds disagreement of cityscapes-small and exits 1', needs(join(REAL, 'cityscapes-small')), () => {
  const r = nightshift(['validate', '--input', join(REAL, 'cityscapes-small')]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /images: 1/);
  assert.match(r.stdout, /frankfurt_000000_000294_gtFine_labelTrainIds\.png: 77 pixels disagree/);
});

test('validate accepts the real COCO files and prints objects per class', needs(join(REAL, 'coco')), () => {
  const r = nightshift(['validate', '--input', join(REAL, 'coco/annotations/instances_train2017.json')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /images: 1, annotations: 4/);
  assert.match(r.stdout, /person/);
  assert.match(r.stdout, /No problems found/);
});

test('validate names the file and the JSON pointer of a schema failure', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'instances_x.json');
  writeFileSync(json, JSON.stringify({ images: [{ id: 1, file_name: 'a.png', width: 4, height: '4' }], annotations: [], categories: [] }));
  const r = nightshift(['validate', '--input', json]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at /images/0/height`));
});

test('convert Cityscapes → COCO → Cityscapes on the real frames, and the outputs validate', needs(join(REAL, 'cityscapes')), (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const coco = join(dir, 'coco');
  let r = nightshift(['convert', '--input', join(REAL, 'cityscapes'), '--from', 'cityscapes', '--to', 'coco', '--output', coco]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const json = join(coco, 'annotations', 'instances_train.json');
  r = nightshift(['validate', '--input', json]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /images: 3/);
  const back = join(dir, 'back');
  r = nightshift(['convert', '--input', json, '--from', 'coco', '--to', 'cityscapes', '--output', back]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  r = nightshift(['validate', '--input', back]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /images: 3 \(train 3\)/);
});

test('convert refuses an output inside the input, and bad option values', needs(join(REAL, 'cityscapes')), () => {
  let r = nightshift(['convert', '--input', join(REAL, 'cityscapes'), '--from', 'cityscapes', '--to', 'coco', '--output', join(REAL, 'cityscapes', 'out')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /inside the input/);
  r = nightshift(['convert', '--input', join(REAL, 'cityscapes'), '--from', 'cityscapes', '--to', 'pascal', '--output', '/tmp/x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Allowed choices are cityscapes, coco/);
});

test('validate reports a truncated image and a non-16-bit instanceIds file, naming each file', needs(join(REAL, 'cityscapes-small')), (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(REAL, 'cityscapes-small');
  const base = 'frankfurt_000000_000294';
  const img = join(dir, 'leftImg8bit/val/frankfurt');
  const gt = join(dir, 'gtFine/val/frankfurt');
  mkdirSync(img, { recursive: true });
  mkdirSync(gt, { recursive: true });
  const png = readFileSync(join(src, 'leftImg8bit/val/frankfurt', `${base}_leftImg8bit.png`));
  writeFileSync(join(img, `${base}_leftImg8bit.png`), png.subarray(0, Math.floor(png.length / 2)));
  copyFileSync(join(src, 'gtFine/val/frankfurt', `${base}_gtFine_labelIds.png`), join(gt, `${base}_gtFine_labelIds.png`));
  // An 8-bit file where the 16-bit instanceIds belong.
  copyFileSync(join(src, 'gtFine/val/frankfurt', `${base}_gtFine_labelIds.png`), join(gt, `${base}_gtFine_instanceIds.png`));
  const r = nightshift(['validate', '--input', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`${base}_leftImg8bit\\.png: .*(truncat|corrupt|decode|premature|read)`, 'i'));
  assert.match(r.stdout, new RegExp(`${base}_gtFine_instanceIds\\.png: .*16-bit`));
});
