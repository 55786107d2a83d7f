import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { cityscapesImagePath, cityscapesLabelPath } from '../src/cityscapes/naming.ts';
import { validateCityscapes } from '../src/cityscapes/validate.ts';
import { writeCityscapesLabels } from '../src/cityscapes/writer.ts';
import { writeRgb } from '../src/png.ts';
import { REAL_CITYSCAPES, REAL_SMALL, needsReal, tempDir } from './helpers/cityscapes.ts';

const dir = tempDir('cs-validate');
after(() => rmSync(dir, { recursive: true, force: true }));

test('cityscapes-small: reports the 77 pixels where labelTrainIds disagrees with labelIds', { skip: needsReal }, async () => {
  const { summary, problems } = await validateCityscapes(REAL_SMALL);
  console.log('cityscapes-small problems:', JSON.stringify(problems));
  assert.equal(problems.length, 1);
  assert.match(problems[0].file, /frankfurt_000000_000294_gtFine_labelTrainIds\.png$/);
  assert.match(problems[0].reason, /^77 pixels disagree with the trainIds of labelIds/);
  assert.equal(summary.images, 1);
  assert.equal(summary.readable, 1);
  assert.deepEqual(summary.splits, { val: 1 });
  assert.deepEqual(summary.objectsPerClass, { person: 4, car: 3 });
  assert.equal(summary.withLabelTrainIds, 1);
});

test('the real frames validate without problems', { skip: needsReal }, async () => {
  const { summary, problems } = await validateCityscapes(REAL_CITYSCAPES, { decodeImages: false });
  assert.deepEqual(problems, []);
  assert.equal(summary.readable, 3);
  assert.ok(summary.objectsPerClass.car > 0 && summary.objectsPerClass.person > 0);
});

test('collects every problem of a broken dataset instead of stopping', async () => {
  const root = join(dir, 'broken');
  const W = 32, H = 16;
  const semantic = new Uint8Array(W * H).fill(7);
  const instances = new Uint16Array(W * H).fill(7);
  semantic.fill(26, 40, 50);
  instances.fill(26000, 40, 50);
  const refs = [1, 2, 3, 4].map((n) => ({ split: 'train', city: 'jena', id: `jena_000000_00000${n}` }));
  for (const ref of refs) {
    mkdirSync(dirname(cityscapesImagePath(root, ref)), { recursive: true });
    await writeRgb(cityscapesImagePath(root, ref), { width: W, height: H, data: new Uint8Array(W * H * 3) });
    await writeCityscapesLabels(root, ref, { width: W, height: H, semantic, instances });
  }
  // 1: labelIds missing. 2: truncated image, and a color image that disagrees. 3: fine.
  // 4: image missing (labels are orphans). Plus a badly named file in gtFine.
  unlinkSync(cityscapesLabelPath(root, refs[0], 'labelIds'));
  const image2 = cityscapesImagePath(root, refs[1]);
  writeFileSync(image2, readFileSync(image2).subarray(0, 60));
  const color2 = cityscapesLabelPath(root, refs[1], 'color');
  await writeRgb(color2, { width: W, height: H, data: new Uint8Array(W * H * 3).fill(1) });
  unlinkSync(cityscapesImagePath(root, refs[3]));
  const strayName = join(root, 'gtFine', 'train', 'jena', 'jena_1_2_gtFine_labelIds.png');
  writeFileSync(strayName, 'x');

  const { summary, problems } = await validateCityscapes(root);
  const byFile = (file: string) => problems.filter((p) => p.file === file).map((p) => p.reason);
  assert.match(byFile(cityscapesLabelPath(root, refs[0], 'labelIds')).join(), /missing labelIds of frame jena_000000_000001/);
  assert.match(byFile(image2).join(), /cannot decode PNG/);
  assert.match(byFile(color2).join(), /512 pixels disagree with the colours of labelIds/);
  assert.match(byFile(strayName).join(), /is not <city>_<seq:6 digits>/);
  assert.match(byFile(cityscapesLabelPath(root, refs[3], 'instanceIds')).join(), /label file without an image/);
  assert.equal(byFile(cityscapesLabelPath(root, refs[2], 'labelIds')).length, 0);
  assert.equal(summary.images, 3);
  assert.equal(summary.readable, 1);
  assert.deepEqual(summary.objectsPerClass, { car: 1 });
});
