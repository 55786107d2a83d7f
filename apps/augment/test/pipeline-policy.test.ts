// The label policy for flagged objects, through the whole pipeline with a test checker that flags the
// largest instance of each sample (a test double: the product wires no checker until
// libs/consistency lands).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CITYSCAPES_COCO_CATEGORIES, annotationMask, cityscapesFrame, readCocoDataset, readGrey16, readGrey8, toTrainIds, validateCityscapes,
} from '@nightshift/labels';
import { loadGenerator } from '@nightshift/cyclegan';
import { TfjsTranslator } from '@nightshift/cyclegan';
import type { CheckOutcome, Checker, Flag } from '../src/pipeline/checks.ts';
import { openSource } from '../src/pipeline/open-source.ts';
import type { FlagPolicy } from '../src/pipeline/options.ts';
import { buildDataset } from '../src/pipeline/run.ts';
import { SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const model = await tinyCheckpoint(11);
const generator = await loadGenerator(model, { which: 'G_A' });
const translator = await TfjsTranslator.create(generator);
const source = await openSource({ format: 'cityscapes', path: SAMPLE });

const largestInstance: Checker = {
  id: 'test: flags the largest instance',
  async check(sample): Promise<CheckOutcome> {
    const objects = sample.objects.filter((o) => o.instanceId >= 1000).sort((a, b) => b.pixelCount - a.pixelCount);
    const o = objects[0];
    return { flags: o ? [{ sampleId: sample.id, instanceId: o.instanceId, box: o.bbox, labelId: o.labelId, className: o.name, score: 0.9, threshold: 0.5, kind: 'erased' }] : [] };
  },
};

async function build(policy: FlagPolicy): Promise<string> {
  const output = join(tempDir(`policy-${policy}`), 'out');
  const summary = await buildDataset({
    direction: 'night', source, output, formats: ['cityscapes', 'coco'], policy, tile: 'auto', batch: 2, seed: 0, limit: 2,
    onError: 'skip', translator, engine: { name: 'tfjs', backend: 'wasm', why: 'test' }, model: { path: model },
    checker: largestInstance, checkStatus: 'test',
  }, CITYSCAPES_COCO_CATEGORIES);
  assert.equal(summary.failures.length, 0, JSON.stringify(summary.failures));
  return output;
}

const frames = source.items.slice(0, 2).map((i) => i.frame!);
const manifest = (output: string) => readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('ignore: the flagged instance becomes label 0 / trainId 255 / instance 0; everything else is unchanged; COCO marks it crowd + ignore', async () => {
  const output = await build('ignore');
  for (const [k, frame] of frames.entries()) {
    const flagged = manifest(output)[k].flags[0] as Flag;
    const srcLabels = (await readGrey8(frame.labelIdsPath)).data;
    const srcInst = (await readGrey16(frame.instanceIdsPath)).data;
    const out = cityscapesFrame(join(output, 'cityscapes'), frame);
    const labels = (await readGrey8(out.labelIdsPath)).data;
    const inst = (await readGrey16(out.instanceIdsPath)).data;
    const trainIds = (await readGrey8(out.labelTrainIdsPath)).data;
    assert.deepEqual(trainIds, toTrainIds(labels));
    let region = 0;
    for (let i = 0; i < labels.length; i++) {
      if (srcInst[i] === flagged.instanceId) {
        region++;
        assert.equal(labels[i], 0);
        assert.equal(inst[i], 0);
        assert.equal(trainIds[i], 255);
      } else {
        assert.equal(labels[i], srcLabels[i]);
        assert.equal(inst[i], srcInst[i]);
      }
    }
    assert.ok(region > 0);
    assert.deepEqual(manifest(output)[k].actions, [{ kind: 'erased', instanceId: flagged.instanceId, action: 'ignored', pixels: region }]);
    const ds = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_val.json'));
    const anns = ds.annotations.filter((a) => a.image_id === k + 1);
    const marked = anns.filter((a) => a.ignore === 1);
    assert.equal(marked.length, 1);
    assert.equal(marked[0].iscrowd, 1);
    // The COCO mask is the source instance's mask: both formats come from the same masks.
    const mask = annotationMask(marked[0], 256, 512);
    for (let i = 0; i < mask.length; i++) if (mask[i] !== (srcInst[i] === flagged.instanceId ? 1 : 0)) assert.fail('COCO mask differs from the source instance');
    assert.equal((marked[0].nightshift as { flags: Flag[] }).flags[0].instanceId, flagged.instanceId);
  }
  const { problems } = await validateCityscapes(join(output, 'cityscapes'));
  assert.deepEqual(problems, []);
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  assert.equal(summary.flags.total, 2);
  assert.ok(Object.values(summary.flags.byClass).some((r) => (r as { flagged: number }).flagged > 0));
  assert.ok(summary.stages.check.items === 2);
});

test('keep: labels are copied byte for byte and the flags are recorded', async () => {
  const output = await build('keep');
  for (const frame of frames) {
    const out = cityscapesFrame(join(output, 'cityscapes'), frame);
    assert.ok(readFileSync(out.labelIdsPath).equals(readFileSync(frame.labelIdsPath)));
    assert.ok(readFileSync(out.instanceIdsPath).equals(readFileSync(frame.instanceIdsPath)));
  }
  assert.deepEqual(manifest(output).map((m) => m.actions[0].action), ['kept', 'kept']);
  const ds = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_val.json'));
  assert.equal(ds.annotations.filter((a) => a.ignore === 1).length, 0);
  assert.equal(ds.annotations.filter((a) => (a.nightshift as { flags: Flag[] }).flags.length === 1).length, 2);
});

test('drop: flagged samples are left out of both formats and recorded as dropped', async () => {
  const output = await build('drop');
  assert.deepEqual(manifest(output).map((m) => [m.status, m.outputs.length, m.actions[0].action]), [['dropped', 0, 'dropped'], ['dropped', 0, 'dropped']]);
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  assert.deepEqual([summary.samples.written, summary.samples.dropped], [0, 2]);
});
