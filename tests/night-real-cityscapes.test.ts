// Real Cityscapes frames (2048x1024) through `nightshift night` with a tiny untrained generator:
// translated at full resolution, gtFine copied bit-exact, COCO masks equal to the instanceIds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { annotationMask, cityscapesFrame, listCityscapesFrames, readCocoDataset, readGrey16, readPngHeader } from '@nightshift/labels';
import { cli, tempDir, tinyCheckpoint } from '../apps/augment/test/pipeline-helpers.ts';

const REAL = fileURLToPath(new URL('../../shared/data/real/cityscapes', import.meta.url));

test('real Cityscapes frames: full resolution, gtFine bit-identical, COCO masks = instanceIds', { skip: existsSync(REAL) ? false : `${REAL} is absent` }, async () => {
  const model = await tinyCheckpoint(1);
  const output = join(tempDir('real'), 'night');
  const r = await cli(['night', '--input', REAL, '--model', model, '--output', output, '--backend', 'wasm', '--batch', '1']);
  assert.equal(r.code, 0, r.stderr);
  const frames = listCityscapesFrames(REAL);
  assert.equal(frames.length, 3);
  const ds = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_train.json'));
  for (const [k, frame] of frames.entries()) {
    const out = cityscapesFrame(join(output, 'cityscapes'), frame);
    const header = readPngHeader(out.imagePath);
    assert.deepEqual([header.width, header.height], [2048, 1024]);
    assert.ok(readFileSync(out.labelIdsPath).equals(readFileSync(frame.labelIdsPath)));
    assert.ok(readFileSync(out.instanceIdsPath).equals(readFileSync(frame.instanceIdsPath)));
    assert.ok(!existsSync(out.colorPath), 'no gtFine file is invented');
    const instances = (await readGrey16(frame.instanceIdsPath)).data;
    const anns = ds.annotations.filter((a) => a.image_id === k + 1);
    assert.ok(anns.length > 0);
    for (const a of anns) {
      const mask = annotationMask(a, 1024, 2048);
      const value = instances[mask.indexOf(1)];
      let differ = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] !== (instances[i] === value ? 1 : 0)) differ++;
      assert.equal(differ, 0, `annotation ${a.id}`);
    }
  }
});
