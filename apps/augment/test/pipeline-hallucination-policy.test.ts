// The label policy for a hallucination box, in both output formats, through the whole pipeline with a
// test checker that reports one box per sample (a test double for the hallucination check): under
// ignore, Cityscapes marks the box's stuff pixels ignore and COCO gets the box as an iscrowd RLE with
// ignore 1, once per output category; under keep, neither changes (and summary.json counts the flag
// on the stuff class, without a rate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CITYSCAPES_COCO_CATEGORIES, annotationMask, cityscapesFrame, readCocoDataset, readGrey16, readGrey8, type Box,
} from '@nightshift/labels';
import { loadGenerator, TfjsTranslator } from '@nightshift/cyclegan';
import type { CheckOutcome, Checker, Flag } from '../src/pipeline/checks.ts';
import { openSource } from '../src/pipeline/open-source.ts';
import type { FlagPolicy } from '../src/pipeline/options.ts';
import { buildDataset } from '../src/pipeline/run.ts';
import { SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const model = await tinyCheckpoint(13);
const translator = await TfjsTranslator.create(await loadGenerator(model, { which: 'G_A' }));
const source = await openSource({ format: 'cityscapes', path: SAMPLE });
const BOX: Box = [100, 90, 60, 40];

const oneBox: Checker = {
  id: 'test: one hallucination box',
  async check(sample): Promise<CheckOutcome> {
    return { flags: [{ sampleId: sample.id, box: BOX, labelId: 23, className: 'sky', score: 900, threshold: 350, kind: 'hallucinated' }] };
  },
};

async function build(policy: FlagPolicy): Promise<string> {
  const output = join(tempDir(`box-${policy}`), 'out');
  await buildDataset({
    direction: 'night', source, output, formats: ['cityscapes', 'coco'], policy, tile: 'auto', batch: 1, seed: 0, limit: 1,
    onError: 'skip', translator, engine: { name: 'tfjs', backend: 'wasm', why: 'test' }, model: { path: model }, checker: oneBox, checkStatus: 'test',
  }, CITYSCAPES_COCO_CATEGORIES);
  return output;
}

const inBox = (i: number, width: number): boolean => {
  const x = i % width, y = Math.floor(i / width);
  return x >= BOX[0] && x < BOX[0] + BOX[2] && y >= BOX[1] && y < BOX[1] + BOX[3];
};

test('ignore: Cityscapes voids the box\'s stuff pixels; COCO gets the box as a crowd ignore region for every category', async () => {
  const output = await build('ignore');
  const frame = source.items[0].frame!;
  const srcLabels = (await readGrey8(frame.labelIdsPath)).data;
  const srcInst = (await readGrey16(frame.instanceIdsPath)).data;
  const out = cityscapesFrame(join(output, 'cityscapes'), frame);
  const labels = (await readGrey8(out.labelIdsPath)).data;
  let voided = 0;
  for (let i = 0; i < labels.length; i++) {
    const stuffInBox = inBox(i, 512) && srcInst[i] < 1000;
    assert.equal(labels[i], stuffInBox ? 0 : srcLabels[i]);
    if (stuffInBox && srcLabels[i] !== 0) voided++;
  }
  assert.ok(voided > 0);

  const ds = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_val.json'));
  const regions = ds.annotations.filter((a) => a.ignore === 1);
  assert.deepEqual(regions.map((a) => a.category_id), CITYSCAPES_COCO_CATEGORIES.map((c) => c.id));
  for (const a of regions) {
    assert.equal(a.iscrowd, 1);
    assert.deepEqual(a.bbox, BOX);
    assert.equal(a.area, BOX[2] * BOX[3]);
    const mask = annotationMask(a, 256, 512);
    for (let i = 0; i < mask.length; i++) if (mask[i] !== (inBox(i, 512) ? 1 : 0)) assert.fail(`ignore region differs from the box at pixel ${i}`);
    assert.equal((a.nightshift as { flags: Flag[] }).flags[0].kind, 'hallucinated');
  }
  const manifest = JSON.parse(readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim());
  assert.equal(manifest.actions[0].action, 'ignored');
});

test('keep: no ignore region in either format', async () => {
  const output = await build('keep');
  const frame = source.items[0].frame!;
  const out = cityscapesFrame(join(output, 'cityscapes'), frame);
  assert.ok(readFileSync(out.labelIdsPath).equals(readFileSync(frame.labelIdsPath)));
  const ds = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_val.json'));
  assert.equal(ds.annotations.filter((a) => a.ignore === 1 || a.iscrowd === 1 && a.bbox.join() === BOX.join()).length, 0);
  // summary.json: the flag counts on the stuff class it lies on, which has no labelled objects and so no rate.
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.flags.byClass.sky, { objects: 0, flagged: 1, rate: null });
  assert.ok(Object.values(summary.flags.byClass as Record<string, { objects: number; rate: number | null }>)
    .every((r) => (r.objects ? typeof r.rate === 'number' : r.rate === null)));
});
