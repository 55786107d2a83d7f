// COCO input: images are translated, annotations carried over with fresh ids and their source id,
// and the output is COCO only (Cityscapes output for COCO input is refused when asked for).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { annotationMask, cityscapesToCoco, readCocoDataset, validateCocoDataset } from '@nightshift/labels';
import { cli, SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const model = await tinyCheckpoint(5);
const cocoRoot = join(tempDir('coco-in'), 'coco');
await cityscapesToCoco(SAMPLE, cocoRoot);
const json = join(cocoRoot, 'annotations', 'instances_val.json');

test('day on a COCO input writes COCO with the same masks, categories and source ids', async () => {
  const output = join(tempDir('coco-out'), 'day');
  const r = await cli(['day', '--input', json, '--model', model, '--output', output, '--limit', '2', '--backend', 'wasm', '--no-checks']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /written as COCO only/);
  const src = await readCocoDataset(json);
  const outJson = join(output, 'coco', 'annotations', 'instances_val.json');
  const out = await readCocoDataset(outJson);
  assert.deepEqual(await validateCocoDataset(out, outJson, join(output, 'coco', 'images', 'val')), []);
  assert.deepEqual(out.categories, src.categories);
  assert.equal(out.images.length, 2);
  for (const image of out.images) {
    const sourceId = (image.nightshift as { source_image_id: number }).source_image_id;
    const srcImage = src.images.find((i) => i.id === sourceId)!;
    assert.equal(image.file_name, srcImage.file_name);
    const srcAnns = src.annotations.filter((a) => a.image_id === sourceId);
    const outAnns = out.annotations.filter((a) => a.image_id === image.id);
    assert.equal(outAnns.length, srcAnns.length);
    outAnns.forEach((a, k) => {
      assert.equal(a.category_id, srcAnns[k].category_id);
      assert.deepEqual(annotationMask(a, image.height, image.width), annotationMask(srcAnns[k], image.height, image.width));
      assert.equal((a.nightshift as { source_image_id: number }).source_image_id, sourceId);
    });
  }
});

test('Cityscapes output for a COCO input is refused with what to do instead', async () => {
  const r = await cli(['night', '--input', json, '--model', model, '--output', join(tempDir('x'), 'o'), '--output-format', 'cityscapes']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs Cityscapes input.*nightshift convert --from coco --to cityscapes/);
});
