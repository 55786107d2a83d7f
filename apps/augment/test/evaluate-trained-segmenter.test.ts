// `nightshift evaluate --segmenter` end to end on a model made here: a Segmenter (libs/cyclegan)
// trained on synthetic scenes with tfjs, exported to ONNX, scored by the CLI, and the same frames
// scored from the tfjs predictions through the SemanticEvaluator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  IMAGENET_MEAN, IMAGENET_STD, Segmenter, SegmenterTrainer, modelHash, normaliseImages, predictTrainIds, selectBackend, writeSegmenterCard,
  writeSegmenterOnnx,
} from '@nightshift/cyclegan';
import { SYNTHETIC_CITY, writeSyntheticCityscapes } from '@nightshift/datasets';
import {
  SemanticEvaluator, TRAIN_LABELS, cityscapesImagePath, cityscapesLabelPath, predictionToLabelIds, readGrey16, readGrey8, readRgb,
  resizeLabelsNearest, resizeRgbArea, type FrameRef,
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

test('evaluate --segmenter <folder> runs the model as its card says: frames area-resized to the input size, normalised by its mean/std, logits enlarged bilinearly (tf.image.resizeBilinear, half-pixel centres) (1e-4)', async () => {
  const root = join(tempDir('card-segmenter'), 'cityscapes');
  const ids = await writeSyntheticCityscapes(root, { count: 3, firstSeed: 700010, width: 96, height: 48, faults: false, split: 'val' });
  const refs: FrameRef[] = ids.map((id) => ({ split: 'val', city: SYNTHETIC_CITY, id }));
  const images = await Promise.all(refs.map((ref) => readRgb(cityscapesImagePath(root, ref))));
  const small = images.map((image) => resizeRgbArea(image, 48, 24));
  const smallIds = await Promise.all(refs.map(async (ref) => resizeLabelsNearest((await readGrey8(cityscapesLabelPath(root, ref, 'labelTrainIds'))).data, 96, 48, 48, 24)));

  await selectBackend('wasm', { purpose: 'training' });
  const segmenter = new Segmenter({ width: 4, depth: 2 }, { seed: 2 });
  const trainer = new SegmenterTrainer(segmenter, { classWeights: TRAIN_LABELS.map((_, i) => 1 + (i % 3)) });
  for (let step = 0; step < 30; step++) trainer.step({ images: [small[step % 3], small[(step + 1) % 3]], labels: [smallIds[step % 3], smallIds[(step + 1) % 3]] }, 1e-2);
  trainer.dispose();
  const folder = tempDir('card-segmenter-model');
  await writeSegmenterOnnx(segmenter, join(folder, 'model.onnx'));
  // A normalisation other than the evaluator's default, so that a card whose mean/std were ignored fails.
  const mean: [number, number, number] = [0.4, 0.45, 0.5];
  const std: [number, number, number] = [0.3, 0.25, 0.2];
  await writeSegmenterCard(folder, {
    format: 'nightshift-segmenter', version: 1, model: 'model.onnx', architecture: segmenter.architecture, input: { width: 48, height: 24 },
    mean, std, classes: TRAIN_LABELS.map((l) => l.name), modelHash: modelHash(await segmenter.stateDict()),
  });

  const evaluator = new SemanticEvaluator();
  const predicted = new Set<number>();
  for (const [i, ref] of refs.entries()) {
    const prediction = tf.tidy(() => {
      const logits = segmenter.apply(normaliseImages([small[i]], { mean, std }));
      return tf.argMax(tf.image.resizeBilinear(logits, [48, 96], false, true), 3);
    });
    evaluator.add({
      name: ref.id, width: 96, height: 48,
      truth: (await readGrey8(cityscapesLabelPath(root, ref, 'labelIds'))).data,
      instances: (await readGrey16(cityscapesLabelPath(root, ref, 'instanceIds'))).data,
      prediction: predictionToLabelIds(Uint8Array.from(prediction.dataSync()), 'trainIds', ref.id),
    });
    prediction.dataSync().forEach((id) => predicted.add(id));
    prediction.dispose();
  }
  segmenter.dispose();
  const tfjs = evaluator.result().averageScoreClasses;
  assert.ok(predicted.size >= 3 && tfjs > 0.005, `tfjs mean IoU ${tfjs}, classes predicted ${[...predicted]}`);

  const out = join(tempDir('card-segmenter-out'), 'evaluation');
  const r = await cli(['evaluate', '--dataset', root, '--segmenter', folder, '--provider', 'cpu', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const written = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')) as { averageScoreClasses: number; confMatrix: number[][] };
  assert.ok(Math.abs(written.averageScoreClasses - tfjs) <= 1e-4, `evaluate --segmenter <folder> mean IoU ${written.averageScoreClasses}, tfjs ${tfjs}`);
  // Pixel by pixel (the confusion matrices), up to a few argmax ties between float paths.
  const reference = evaluator.result().confMatrix;
  let moved = 0;
  reference.forEach((row, i) => row.forEach((v, j) => { moved += Math.abs(v - written.confMatrix[i][j]); }));
  assert.ok(moved / 2 <= 0.001 * 3 * 96 * 48, `${moved / 2} pixels differ between evaluate --segmenter <folder> and tfjs`);

  const both = await cli(['evaluate', '--dataset', root, '--segmenter', folder, '--mean', '0.5,0.5,0.5', '--output', out]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /card .* gives the input size, mean and std; leave out --mean/);
  const card = JSON.parse(readFileSync(join(folder, 'segmenter.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(folder, 'segmenter.json'), JSON.stringify({ ...card, classes: TRAIN_LABELS.slice(1).map((l) => l.name) }));
  const wrong = await cli(['evaluate', '--dataset', root, '--segmenter', folder, '--output', out]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /segmenter\.json.*"classes" must list 19 class names/);
});
