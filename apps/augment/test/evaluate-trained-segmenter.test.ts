// `nightshift evaluate --segmenter` end to end on a model made here: a Segmenter (libs/cyclegan)
// trained on synthetic scenes with tfjs, exported to ONNX, scored by the CLI, and the same frames
// scored from the tfjs predictions through the SemanticEvaluator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Segmenter, SegmenterTrainer, predictTrainIds, selectBackend, writeSegmenterOnnx } from '@nightshift/cyclegan';
import { SYNTHETIC_CITY, writeSyntheticCityscapes } from '@nightshift/datasets';
import {
  SemanticEvaluator, cityscapesImagePath, cityscapesLabelPath, predictionToLabelIds, readGrey16, readGrey8, readRgb,
  type FrameRef,
} from '@nightshift/labels';
import { cli, tempDir } from './pipeline-helpers.ts';

test('evaluate --segmenter on a segmenter trained and exported here gives the mean IoU of its tfjs predictions (1e-4)', async () => {
  const root = join(tempDir('trained-segmenter'), 'cityscapes');
  const ids = await writeSyntheticCityscapes(root, { count: 4, firstSeed: 700000, width: 96, height: 48, faults: false, split: 'val' });
  const refs: FrameRef[] = ids.map((id) => ({ split: 'val', city: SYNTHETIC_CITY, id }));
  const images = await Promise.all(refs.map((ref) => readRgb(cityscapesImagePath(root, ref))));
  const trainIds = await Promise.all(refs.map(async (ref) => (await readGrey8(cityscapesLabelPath(root, ref, 'labelTrainIds'))).data));

  await selectBackend('wasm', { purpose: 'training' });
  const segmenter = new Segmenter({ width: 4, depth: 2 }, { seed: 1 });
  const trainer = new SegmenterTrainer(segmenter);
  for (let step = 0; step < 30; step++) trainer.step({ images: [images[step % 4], images[(step + 1) % 4]], labels: [trainIds[step % 4], trainIds[(step + 1) % 4]] }, 1e-2);
  trainer.dispose();
  const model = join(tempDir('trained-segmenter-model'), 'segmenter.onnx');
  await writeSegmenterOnnx(segmenter, model);

  const evaluator = new SemanticEvaluator();
  const predicted = new Set<number>();
  for (const [i, ref] of refs.entries()) {
    const prediction = predictTrainIds(segmenter, images[i]);
    prediction.forEach((id) => predicted.add(id));
    evaluator.add({
      name: ref.id, width: 96, height: 48,
      truth: (await readGrey8(cityscapesLabelPath(root, ref, 'labelIds'))).data,
      instances: (await readGrey16(cityscapesLabelPath(root, ref, 'instanceIds'))).data,
      prediction: predictionToLabelIds(prediction, 'trainIds', ref.id),
    });
  }
  segmenter.dispose();
  const tfjs = evaluator.result().averageScoreClasses;
  // A model that predicts one class everywhere would make the comparison weak.
  assert.ok(predicted.size >= 3 && tfjs > 0.02, `tfjs mean IoU ${tfjs}, classes predicted ${[...predicted]}`);

  const out = join(tempDir('trained-segmenter-out'), 'evaluation');
  const r = await cli(['evaluate', '--dataset', root, '--segmenter', model, '--provider', 'cpu', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const onnx = (JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')) as { averageScoreClasses: number }).averageScoreClasses;
  assert.ok(Math.abs(onnx - tfjs) <= 1e-4, `evaluate --segmenter mean IoU ${onnx}, tfjs predictions ${tfjs}`);
});
