// `nightshift evaluate`: the official cityscapesScripts scores of the real frames, --segmenter against
// PyTorch's own predictions of the same models (fixtures/segmenters, made by make_segmenters.py),
// sliding windows against whole frames, and every bad input stopping with the file named and nothing
// written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVAL_CLASSES, readGrey8, writeGrey16, writeGrey8 } from '@nightshift/labels';
import { compareWithReference, EVAL_REFERENCE, needsEvalReference, readReferenceResults } from '../../../libs/labels/test/helpers/eval-reference.ts';
import { REAL_CITYSCAPES, needsReal } from '../../../libs/labels/test/helpers/cityscapes.ts';
import { windows } from '../src/evaluate/index.ts';
import { cli, SAMPLE, tempDir } from './pipeline-helpers.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/segmenters/', import.meta.url));
const model = (name: string): string => join(FIXTURES, `${name}.onnx`);
const torchPredictions = (name: string): string => join(FIXTURES, 'predictions', name);
const SAMPLE_GT = join(SAMPLE, 'gtFine', 'val', 'synthetic');

type Json = Record<string, any>;
const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;

async function evaluate(args: string[]): Promise<{ code: number; stdout: string; stderr: string; out: string; json?: Json }> {
  const out = join(tempDir('evaluate'), 'out');
  const r = await cli(['evaluate', ...args, '--output', out]);
  const file = join(out, 'evaluation.json');
  return { ...r, out, ...(existsSync(file) ? { json: readJson(file) } : {}) };
}

/** The fields of cityscapesScripts' result, without what says how it was computed. */
const scores = (j: Json): Json => {
  const { dataset: _d, predictions: _p, worstFrames: _w, ...rest } = j;
  return rest;
};

/** A copy of the sample's ground truth (and images) to spoil. */
function sampleCopy(): string {
  const root = join(tempDir('dataset'), 'cityscapes');
  cpSync(join(SAMPLE, 'gtFine'), join(root, 'gtFine'), { recursive: true });
  cpSync(join(SAMPLE, 'leftImg8bit'), join(root, 'leftImg8bit'), { recursive: true });
  return root;
}

function predictionsCopy(name: string): string {
  const dir = join(tempDir('predictions'), name);
  cpSync(torchPredictions(name), dir, { recursive: true });
  return dir;
}

/** Asserts a failed run: exit 1, the message names `file` and matches `problem`, and no output was written. */
function assertRefused(r: { code: number; stderr: string; out: string }, file: string, problem: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(file), `${r.stderr} names ${file}`);
  assert.match(r.stderr, problem);
  assert.equal(existsSync(r.out), false, 'nothing written');
}

test('evaluation.json equals every number cityscapesScripts evaluateImgLists returned for the 3 real frames (1e-6)', { skip: needsReal || needsEvalReference }, async () => {
  const r = await evaluate(['--dataset', REAL_CITYSCAPES, '--predictions', join(EVAL_REFERENCE, 'predictions')]);
  assert.equal(r.code, 0, r.stderr);
  const reference = readReferenceResults();
  // The script keys perImageScores by prediction file name; ours by frame id.
  const perImage = Object.fromEntries(Object.entries(r.json!.perImageScores as Json).map(([id, v]) => [`${id}_pred.png`, v]));
  const agreement = compareWithReference({ ...r.json, perImageScores: perImage }, reference, 1e-6);
  assert.deepEqual(agreement.mismatches, []);
  assert.equal(agreement.compared, 34 * 34 + 4 * 34 + 2 * 8 + 4 + 3 * 2);
  assert.equal(r.json!.predictions.ids, 'labelIds', 'told from the values (ids above 18)');
  assert.match(r.stdout, /^ {2}sky +41\.7 +n\/a$/m, 'the terminal table');
  assert.match(r.stdout, /mean IoU 26\.7,/);
  const html = readFileSync(join(r.out, 'evaluation.html'), 'utf8');
  assert.match(html, /<svg class="bars"/);
  assert.match(html, /<svg class="confusion"/);
  assert.equal((html.match(/<img /g) ?? []).length, 3 * 4, 'image, prediction, truth and error of each of the 3 frames');
});

for (const name of ['pointwise', 'strided']) {
  test(`--segmenter ${name}.onnx scores what evaluating PyTorch's predictions of the same model scores`, async () => {
    const fromTorch = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions(name)]);
    assert.equal(fromTorch.code, 0, fromTorch.stderr);
    assert.equal(fromTorch.json!.predictions.ids, 'trainIds');
    const fromOnnx = await evaluate(['--dataset', SAMPLE, '--segmenter', model(name), '--provider', 'cpu']);
    assert.equal(fromOnnx.code, 0, fromOnnx.stderr);
    assert.ok(Math.abs(fromOnnx.json!.averageScoreClasses - fromTorch.json!.averageScoreClasses) <= 1e-4);
    // In fact every pixel agrees here: the same confusion matrix.
    assert.deepEqual(fromOnnx.json!.confMatrix, fromTorch.json!.confMatrix);
    assert.ok(fromOnnx.json!.averageScoreClasses > 0.15, 'a fitted model, not noise');
    assert.equal(fromOnnx.json!.predictions.segmenter.provider, 'cpu');
  });
}

test('--mean and --std normalise the input as PyTorch does with them', async () => {
  const half = await evaluate(['--dataset', SAMPLE, '--segmenter', model('pointwise'), '--provider', 'cpu', '--mean', '0.5,0.5,0.5', '--std', '0.5,0.5,0.5']);
  assert.equal(half.code, 0, half.stderr);
  assert.deepEqual(half.json!.predictions.segmenter.mean, [0.5, 0.5, 0.5]);
  const fromTorch = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions('pointwise-half')]);
  assert.ok(Math.abs(half.json!.averageScoreClasses - fromTorch.json!.averageScoreClasses) <= 1e-4);
  assert.deepEqual(half.json!.confMatrix, fromTorch.json!.confMatrix);
  const imagenet = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions('pointwise')]);
  assert.notDeepEqual(fromTorch.json!.confMatrix, imagenet.json!.confMatrix, 'the normalisation matters to this model');
  const bad = await evaluate(['--dataset', SAMPLE, '--segmenter', model('pointwise'), '--mean', '0.5,0.5']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--mean takes three numbers/);
});

test('sliding windows at --crop give the whole-frame scores for a pointwise model, and PyTorch\'s slide inference for a strided one', async () => {
  const whole = await evaluate(['--dataset', SAMPLE, '--segmenter', model('pointwise'), '--provider', 'cpu']);
  const windowed = await evaluate(['--dataset', SAMPLE, '--segmenter', model('pointwise'), '--provider', 'cpu', '--crop', '100', '--stride', '70']);
  assert.equal(windowed.code, 0, windowed.stderr);
  assert.deepEqual(windowed.json!.predictions.segmenter.crop, { height: 100, width: 100 });
  assert.deepEqual(scores(windowed.json!), scores(whole.json!));
  // A model that is not pointwise: windows as mmsegmentation's slide_inference runs them in PyTorch.
  const slid = await evaluate(['--dataset', SAMPLE, '--segmenter', model('strided'), '--provider', 'cpu', '--crop', '100', '--stride', '70']);
  const slidTorch = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions('strided-slide100')]);
  assert.equal(slid.code, 0, slid.stderr);
  assert.ok(Math.abs(slid.json!.averageScoreClasses - slidTorch.json!.averageScoreClasses) <= 1e-4);
  assert.deepEqual(slid.json!.confMatrix, slidTorch.json!.confMatrix);
  const strided = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions('strided')]);
  assert.notDeepEqual(slidTorch.json!.confMatrix, strided.json!.confMatrix, 'windows change this model\'s predictions');
  // Windows cover the axis, flush with its end, mmsegmentation's slide_inference grid.
  assert.deepEqual(windows(256, 100, 70), [[0, 100], [70, 100], [140, 100], [156, 100]]);
  assert.deepEqual(windows(512, 512, 341), [[0, 512]]);
  assert.deepEqual(windows(80, 100, 70), [[0, 80]]);
});

test('a class in neither truth nor prediction is null in evaluation.json and left out of the mean', async () => {
  const r = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions('pointwise')]);
  const classScores = r.json!.classScores as Record<string, number | null>;
  const absent = EVAL_CLASSES.map((l) => l.name).filter((n) => classScores[n] === null);
  assert.ok(absent.length > 0, 'the sample lacks some classes');
  const present = Object.values(classScores).filter((v): v is number => v !== null);
  // Ignored labels are null too; the mean is over the 19 classes that are not null.
  const scored = EVAL_CLASSES.map((l) => classScores[l.name]).filter((v): v is number => v !== null);
  assert.equal(scored.length, 19 - absent.length);
  assert.ok(present.length >= scored.length);
  assert.ok(Math.abs(r.json!.averageScoreClasses - scored.reduce((a, b) => a + b, 0) / scored.length) < 1e-15);
});

test('an all-void frame adds nothing to the scores and has no frame score', async () => {
  const root = sampleCopy();
  const file = join(root, 'gtFine', 'val', 'synthetic', 'synthetic_000001_000003_gtFine_labelIds.png');
  const labels = await readGrey8(file);
  await writeGrey8(file, { ...labels, data: new Uint8Array(labels.data.length) });
  const instances = file.replace('_labelIds', '_instanceIds');
  await writeGrey16(instances, { width: labels.width, height: labels.height, data: new Uint16Array(labels.data.length) });
  const withVoid = await evaluate(['--dataset', root, '--predictions', torchPredictions('pointwise')]);
  assert.equal(withVoid.code, 0, withVoid.stderr);
  const frame = (withVoid.json!.frames as Json[]).find((f) => f.name === 'synthetic_000001_000003')!;
  assert.equal(frame.meanIou, null);
  assert.equal(frame.evaluatedPixels, 0);
  // The same scores as without the frame at all.
  for (const kind of ['labelIds', 'instanceIds']) rmSync(join(root, 'gtFine', 'val', 'synthetic', `synthetic_000001_000003_gtFine_${kind}.png`));
  rmSync(join(root, 'leftImg8bit', 'val', 'synthetic', 'synthetic_000001_000003_leftImg8bit.png'));
  const without = await evaluate(['--dataset', root, '--predictions', torchPredictions('pointwise')]);
  assert.equal(without.code, 0, without.stderr);
  for (const key of ['classScores', 'classInstScores', 'categoryScores', 'categoryInstScores', 'averageScoreClasses', 'averageScoreInstClasses']) {
    assert.deepEqual(withVoid.json![key], without.json![key], key);
  }
});

test('bad input stops with the file and the problem named, and writes nothing', async (t) => {
  await t.test('a prediction of another size', async () => {
    const dir = predictionsCopy('pointwise');
    const file = join(dir, 'synthetic_000001_000002_trainIds.png');
    await writeGrey8(file, { width: 256, height: 128, data: new Uint8Array(256 * 128) });
    assertRefused(await evaluate(['--dataset', SAMPLE, '--predictions', dir]), file, /prediction is 256x128, its ground truth .*synthetic_000001_000002_gtFine_labelIds\.png is 512x256/);
  });
  await t.test('missing predictions: each named', async () => {
    const dir = predictionsCopy('pointwise');
    for (const f of ['synthetic_000001_000001', 'synthetic_000001_000006']) rmSync(join(dir, `${f}_trainIds.png`));
    assertRefused(await evaluate(['--dataset', SAMPLE, '--predictions', dir]), dir, /no prediction PNG for 2 frames .*: synthetic_000001_000001, synthetic_000001_000006$/m);
  });
  await t.test('prediction ids outside the label table', async () => {
    const dir = predictionsCopy('pointwise');
    const file = join(dir, 'synthetic_000001_000004_trainIds.png');
    const p = await readGrey8(file);
    p.data[0] = 40;
    p.data[1] = 40;
    await writeGrey8(file, p);
    assertRefused(await evaluate(['--dataset', SAMPLE, '--predictions', dir, '--prediction-ids', 'trainIds']), file,
      /prediction value 40 \(2 pixels\) outside trainIds 0\.\.18 and 255/);
    // Without --prediction-ids: fits neither kind, named the same way.
    assertRefused(await evaluate(['--dataset', SAMPLE, '--predictions', dir]), file, /prediction value 40 \(2 pixels\)/);
  });
  await t.test('a dataset without labels', async () => {
    const root = sampleCopy();
    rmSync(join(root, 'gtFine'), { recursive: true });
    assertRefused(await evaluate(['--dataset', root, '--predictions', torchPredictions('pointwise')]), root, /has no gtFine\/ folder/);
    const partly = sampleCopy();
    rmSync(join(partly, 'gtFine', 'val', 'synthetic', 'synthetic_000001_000005_gtFine_labelIds.png'));
    assertRefused(await evaluate(['--dataset', partly, '--predictions', torchPredictions('pointwise')]), partly,
      /1 frame has an image but no ground truth: gtFine\/val\/synthetic\/synthetic_000001_000005_gtFine_labelIds\.png/);
  });
  await t.test('an ONNX model with the wrong class count', async () => {
    assertRefused(await evaluate(['--dataset', SAMPLE, '--segmenter', model('five-classes'), '--provider', 'cpu']), model('five-classes'),
      /output 'logits' has 5 classes \(shape \[n, 5, h, w\]\); 19 were expected/);
  });
  await t.test('an ONNX model with the wrong output shape', async () => {
    assertRefused(await evaluate(['--dataset', SAMPLE, '--segmenter', model('flat-logits'), '--provider', 'cpu']), model('flat-logits'),
      /output 'logits' has shape \[n, .*, h\]; logits \[N, 19, H, W\]/);
  });
  await t.test('a file that is not an ONNX model', async () => {
    const file = join(tempDir('model'), 'model.onnx');
    writeFileSync(file, 'not a model');
    assertRefused(await evaluate(['--dataset', SAMPLE, '--segmenter', file, '--provider', 'cpu']), file, /cannot open the ONNX model/);
  });
  await t.test('--predictions and --segmenter together', async () => {
    const r = await evaluate(['--dataset', SAMPLE, '--predictions', torchPredictions('pointwise'), '--segmenter', model('pointwise')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give one of --predictions <dir> and --segmenter <model\.onnx>/);
  });
  assert.ok(readdirSync(SAMPLE_GT).length > 0, 'the sample is untouched');
});
