// SemanticEvaluator against the official cityscapesScripts scores of the 3 real frames, and the edge
// cases the script defines: a class absent from truth and prediction, all-void frames, ids outside
// the label table, sizes that disagree.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatasetError } from '../src/errors.ts';
import { labelByName, TRAIN_LABELS } from '../src/label-table.ts';
import { readGrey16, readGrey8 } from '../src/png.ts';
import {
  AVG_CLASS_SIZE, EVAL_CLASSES, INSTANCE_CATEGORIES, predictionIdsFitting, predictionToLabelIds, SemanticEvaluator,
  type EvaluationFrame,
} from '../src/evaluation/index.ts';
import { REAL_FRAMES, needsReal, realLabelPath } from './helpers/cityscapes.ts';
import { compareWithReference, EVAL_REFERENCE, needsEvalReference, readReferenceResults } from './helpers/eval-reference.ts';

const id = (name: string): number => labelByName(name)!.id;

/** A frame of the given labelIds rows (truth and prediction), without instances unless given. */
function frame(name: string, truth: number[], prediction: number[], instances?: number[]): EvaluationFrame {
  return {
    name, width: truth.length, height: 1,
    truth: Uint8Array.from(truth), prediction: Uint8Array.from(prediction),
    instances: Uint16Array.from(instances ?? truth),
  };
}

test('equals every number cityscapesScripts evaluateImgLists returned for the 3 real frames (1e-6)', { skip: needsReal || needsEvalReference }, async () => {
  const evaluator = new SemanticEvaluator();
  for (const f of REAL_FRAMES) {
    const truth = await readGrey8(realLabelPath(f, 'labelIds'));
    const instances = await readGrey16(realLabelPath(f, 'instanceIds'));
    const prediction = await readGrey8(join(EVAL_REFERENCE, 'predictions', `${f}_pred.png`));
    evaluator.add({ name: `${f}_pred.png`, width: truth.width, height: truth.height, truth: truth.data, instances: instances.data, prediction: prediction.data });
  }
  const reference = readReferenceResults();
  const agreement = compareWithReference(JSON.parse(JSON.stringify(evaluator.result())), reference, 1e-6);
  assert.deepEqual(agreement.mismatches, []);
  // Every number of the reference was compared: the 34x34 matrix; priors, label ids, IoU and iIoU of
  // the 34 labels; IoU and iIoU of the 8 categories; 4 means; 3x2 per-image counts.
  assert.equal(agreement.compared, 34 * 34 + 4 * 34 + 2 * 8 + 4 + 3 * 2);
  assert.ok(agreement.worst <= 1e-12, `largest difference ${agreement.worst}`);
});

test('a class absent from truth and prediction is NaN and left out of the means; JSON writes null', () => {
  const road = id('road'), sidewalk = id('sidewalk');
  const evaluator = new SemanticEvaluator();
  evaluator.add(frame('a', [road, road, sidewalk, sidewalk], [road, road, sidewalk, road]));
  const r = evaluator.result();
  assert.equal(r.classScores.road, 2 / 3);
  assert.equal(r.classScores.sidewalk, 1 / 2);
  for (const l of EVAL_CLASSES) if (l.name !== 'road' && l.name !== 'sidewalk') assert.ok(Number.isNaN(r.classScores[l.name]), l.name);
  assert.ok(Number.isNaN(r.classScores.unlabeled), 'ignored labels have no score');
  assert.equal(r.averageScoreClasses, (2 / 3 + 1 / 2) / 2);
  assert.equal(r.categoryScores.flat, 1);
  assert.equal(r.averageScoreCategories, 1);
  assert.ok(Number.isNaN(r.averageScoreInstClasses), 'no instances: no iIoU');
  const json = JSON.parse(JSON.stringify(r)) as { classScores: Record<string, unknown> };
  assert.equal(json.classScores.car, null);
});

test('all-void frames add nothing to any score, only to the matrix and the priors', () => {
  const road = id('road'), car = id('car'), sky = id('sky');
  const scored = frame('scored', [road, road, sky, car], [road, car, sky, car], [road, road, sky, 26001]);
  const alone = new SemanticEvaluator();
  alone.add(scored);
  const voidOnly = new SemanticEvaluator();
  const score = voidOnly.add(frame('void', [0, 1, 3, 0], [road, car, 0, sky]));
  assert.ok(Number.isNaN(score.pixelAccuracy) && Number.isNaN(score.meanIou));
  assert.equal(score.evaluatedPixels, 0);
  const onlyVoid = voidOnly.result();
  for (const value of [...Object.values(onlyVoid.classScores), ...Object.values(onlyVoid.categoryScores), onlyVoid.averageScoreClasses]) {
    assert.ok(Number.isNaN(value));
  }
  const both = new SemanticEvaluator();
  both.add(frame('void', [0, 1, 3, 0], [road, car, 0, sky]));
  both.add(scored);
  const a = alone.result(), b = both.result();
  assert.deepEqual(b.classScores, a.classScores);
  assert.deepEqual(b.classInstScores, a.classInstScores);
  assert.deepEqual(b.categoryScores, a.categoryScores);
  assert.equal(b.averageScoreClasses, a.averageScoreClasses);
  assert.equal(b.confMatrix[0][road], 1);
  assert.equal(b.priors.unlabeled, 2 / 8);
  // The script's per-image counts are over the pixels whose truth is NOT evaluated, as it computes them.
  assert.deepEqual(b.perImageScores.void, { nbNotIgnoredPixels: 4, nbCorrectPixels: 4 });
});

test('iIoU weighs an instance by the class average size over its own size; the category counts any of its classes as a hit', () => {
  const car = id('car'), truck = id('truck'), road = id('road');
  const evaluator = new SemanticEvaluator();
  // Car instance 26001: 4 pixels, 1 predicted car, 2 truck (a category hit), 1 road.
  evaluator.add(frame('f', [car, car, car, car, road], [car, truck, truck, road, road], [26001, 26001, 26001, 26001, road]));
  const r = evaluator.result();
  const w = AVG_CLASS_SIZE.car / 4;
  assert.equal(r.classInstScores.car, (1 * w) / (1 * w + 0 + 3 * w));
  assert.equal(r.classInstScores.truck, 0, 'no truck instance: weighted tp and fn are 0, the 2 false positives remain');
  assert.ok(INSTANCE_CATEGORIES.get('vehicle')!.includes(truck));
  assert.equal(r.categoryInstScores.vehicle, (3 * w) / (3 * w + 0 + 1 * w));
  assert.ok(Number.isNaN(r.categoryInstScores.flat), 'flat has no instances');
});

test('ids outside the label table and sizes that disagree stop with the file named, and change nothing', () => {
  const evaluator = new SemanticEvaluator();
  evaluator.add(frame('ok', [7, 8], [7, 8]));
  const before = JSON.stringify(evaluator.result());
  assert.throws(() => evaluator.add({ ...frame('bad', [7, 40, 40], [7, 7, 7]), truthFile: 'gt/bad_labelIds.png' }),
    (e: unknown) => e instanceof DatasetError && e.file === 'gt/bad_labelIds.png' && /truth label id 40 \(2 pixels\) not in the Cityscapes label table/.test(e.message));
  assert.throws(() => evaluator.add({ ...frame('bad', [7, 7, 7], [7, 200, 34]), predictionFile: 'pred/bad.png' }),
    (e: unknown) => e instanceof DatasetError && e.file === 'pred/bad.png' && /predicted label ids 34 \(1 pixels\), 200 \(1 pixels\)/.test(e.message));
  assert.throws(() => evaluator.add({ ...frame('bad', [7, 7, 7], [7, 7]), predictionFile: 'pred/short.png' }),
    (e: unknown) => e instanceof DatasetError && e.file === 'pred/short.png' && /2 values for the truth's 3x1 pixels/.test(e.message));
  assert.throws(() => evaluator.add({ ...frame('bad', [7, 7], [7, 7], [7, 7001]), instancesFile: 'gt/bad_instanceIds.png' }),
    /gt\/bad_instanceIds.png: instance value 7001 \(1 pixels\) belongs to road, a class without instances/);
  assert.throws(() => evaluator.add(frame('ok', [7], [7])), /frame ok was already evaluated/);
  assert.equal(evaluator.frameCount, 1);
  assert.equal(JSON.stringify(evaluator.result()), before);
});

test('trainIds predictions map to labelIds through the label table; values outside are named', () => {
  const trainIds = Uint8Array.from([...TRAIN_LABELS.map((l) => l.trainId), 255]);
  assert.deepEqual([...predictionToLabelIds(trainIds, 'trainIds', 'p.png')], [...TRAIN_LABELS.map((l) => l.id), 0]);
  assert.deepEqual(predictionIdsFitting(Uint8Array.from([0, 5, 18])), ['labelIds', 'trainIds']);
  assert.deepEqual(predictionIdsFitting(Uint8Array.from([0, 5, 255])), ['trainIds']);
  assert.deepEqual(predictionIdsFitting(Uint8Array.from([7, 26, 33])), ['labelIds']);
  assert.deepEqual(predictionIdsFitting(Uint8Array.from([19, 255])), []);
  assert.throws(() => predictionToLabelIds(Uint8Array.from([0, 19, 19, 254]), 'trainIds', 'p.png'),
    /p\.png: prediction values 19 \(2 pixels\), 254 \(1 pixels\) outside trainIds 0\.\.18 and 255 \(read as trainIds\)/);
});
