// The semantic cue: its rule on probability maps made from the labels (exact answers), the segmenter
// run through ONNX Runtime against the same network in tfjs, and the refusals of a missing or wrong model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, TRAIN_ID_LUT, TRAIN_LABELS, labelByName } from '@nightshift/labels';
import { Segmenter, segmenterLogits, segmenterToOnnx, selectBackend } from '@nightshift/cyclegan';
import {
  SemanticSegmenter, checkConsistency, listInstances, photometricNight, writeSemanticCalibration,
  type CheckThresholds, type ClassProbabilities, type LabelMaps, type RgbImage, type SemanticThresholds,
} from '@nightshift/consistency';
import { scene, overlaps } from './helpers.ts';

const CLASSES = TRAIN_LABELS.length;
const trainId = (name: string): number => labelByName(name)!.trainId;

/** Probabilities on a w x h grid that read the labels (label class 0.9, the rest shared); void cells uniform. */
function fromLabels(labels: LabelMaps, w: number, h: number): ClassProbabilities {
  const data = new Float32Array(CLASSES * w * h);
  const plane = w * h;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const sx = Math.floor(((x + 0.5) * labels.width) / w), sy = Math.floor(((y + 0.5) * labels.height) / h);
    const t = TRAIN_ID_LUT[labels.semantic[sy * labels.width + sx]];
    for (let c = 0; c < CLASSES; c++) data[c * plane + y * w + x] = t === 255 ? 1 / CLASSES : c === t ? 0.9 : 0.1 / (CLASSES - 1);
  }
  return { width: w, height: h, classes: CLASSES, data };
}

/** Cells of [x0, x1) x [y0, y1) read as class `c` with probability p (the rest shared). */
function paint(p: ClassProbabilities, x0: number, y0: number, x1: number, y1: number, c: number, prob = 0.9, where: (i: number) => boolean = () => true): ClassProbabilities {
  const data = new Float32Array(p.data);
  const plane = p.width * p.height;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const i = y * p.width + x;
    if (!where(i)) continue;
    for (let k = 0; k < p.classes; k++) data[k * plane + i] = k === c ? prob : (1 - prob) / (p.classes - 1);
  }
  return { ...p, data };
}

const G = { w: 128, h: 64 };
const base = await scene(500001);
const night = photometricNight({ seed: 2 })(base.day);
const dayP = fromLabels(base.labels, G.w, G.h);
// Thresholds of these tests' own (the shipped segmenter's are in its card).
const THRESHOLDS: SemanticThresholds = {
  semanticPixelThreshold: 0.3, semanticHallucinationThreshold: 1000, semanticErasureThreshold: 0.5, semanticFrameAccuracy: 0.6, semanticObjectCoverage: 0.2,
};
const check = (nightP: ClassProbabilities, day = dayP, overrides: Partial<CheckThresholds> = {}) =>
  checkConsistency({ sampleId: 's', source: base.day, output: night, labels: base.labels, semantic: { day, night: nightP, thresholds: THRESHOLDS } }, overrides);

test('semantic cue: probabilities that read the labels day and night give no flag, and the frame is judged', () => {
  const r = check(dayP);
  assert.deepEqual(r.flags, []);
  assert.ok(r.semantic);
  assert.ok(r.semantic.dayAccuracy > 0.99, `day accuracy ${r.semantic.dayAccuracy}`);
  assert.equal(r.semantic.abstained, false);
  assert.ok(r.semantic.objects.length > 0);
  assert.ok(r.semantic.objects.every((o) => !o.abstained && Math.abs(o.drop) < 1e-6));
});

test('semantic cue: a car read on the road only at night is a hallucinated region with its box, on road, predicted car', () => {
  // Find a 10x8-cell block of road (grid 128x64 on 512x256: 4 px per cell).
  const road = trainId('road');
  const gridTrain = (x: number, y: number): number => TRAIN_ID_LUT[base.labels.semantic[(y * 4 + 2) * 512 + x * 4 + 2]];
  let at: [number, number] | undefined;
  for (let y = 40; y < 60 && !at; y++) for (let x = 5; x < 110 && !at; x++) {
    let all = true;
    for (let yy = y; yy < y + 8 && all; yy++) for (let xx = x; xx < x + 10 && all; xx++) all = gridTrain(xx, yy) === road;
    if (all) at = [x, y];
  }
  assert.ok(at, 'a road block');
  const [x, y] = at;
  const nightP = paint(dayP, x, y, x + 10, y + 8, trainId('car'));
  // Evidence: the gain over the pixel threshold, (0.9 - 0.1/18 - threshold), per cell over 80 cells of 16 pixels.
  const tau = THRESHOLDS.semanticPixelThreshold;
  const expected = 80 * 16 * (0.9 - 0.1 / 18 - tau);
  const regions = check(nightP).regions.filter((g) => g.cue === 'semantic');
  assert.equal(regions.length, 1, JSON.stringify(regions));
  assert.ok(Math.abs(regions[0].score - expected) < 1, `score ${regions[0].score}`);
  // Flagged at a threshold under its score, not over it.
  assert.deepEqual(check(nightP, dayP, { semanticHallucinationThreshold: expected + 1 }).flags, []);
  const r = check(nightP, dayP, { semanticHallucinationThreshold: expected - 1 });
  const flags = r.flags.filter((f) => f.cue === 'semantic');
  assert.equal(flags.length, 1, JSON.stringify(r.flags));
  const f = flags[0];
  assert.equal(f.kind, 'hallucinated');
  assert.equal(f.className, 'road');
  assert.equal(f.predictedClassName, 'car');
  assert.ok(overlaps(f.bbox, [x * 4, y * 4, 40, 32]));
  // The box comes from the evidence moments: the painted block, within a cell.
  for (const [k, v] of [x * 4, y * 4, 40, 32].entries()) assert.ok(Math.abs(f.bbox[k] - v) <= 4, `box ${f.bbox} vs ${[x * 4, y * 4, 40, 32]}`);
  // A night reading under the pixel threshold is no evidence at all.
  assert.deepEqual(check(paint(dayP, x, y, x + 10, y + 8, trainId('car'), tau)).regions.filter((g) => g.cue === 'semantic'), []);
});

test('semantic cue: over a labelled thing only a class of another category is evidence (a car read as a bus is not; as a person it is)', () => {
  const car = trainId('car');
  const plane = G.w * G.h;
  const isCar = (i: number): boolean => dayP.data[car * plane + i] > 0.5;
  let cells = 0;
  for (let i = 0; i < plane; i++) if (isCar(i)) cells++;
  assert.ok(cells >= 20, `car cells ${cells}`);
  const semanticRegions = (c: number) => check(paint(dayP, 0, 0, G.w, G.h, c, 0.9, isCar)).regions.filter((g) => g.cue === 'semantic');
  assert.deepEqual(semanticRegions(trainId('bus')), []);
  assert.deepEqual(semanticRegions(trainId('truck')), []);
  const asPerson = semanticRegions(trainId('person'));
  assert.ok(asPerson.length > 0);
  assert.ok(asPerson.every((g) => g.labelId === labelByName('car')!.id && g.predictedLabelId === labelByName('person')!.id), JSON.stringify(asPerson));
});

test('semantic cue: an object whose class the night reading loses is erased (semantic), by its instance', () => {
  const car = listInstances(base.labels.instances, 512).find((o) => Math.floor(o.instanceId / 1000) === labelByName('car')!.id && o.area >= 2000)!;
  assert.ok(car, 'a large car');
  const inCar = (i: number): boolean => {
    const x = i % G.w, y = (i - x) / G.w;
    return base.labels.instances[(y * 4 + 2) * 512 + x * 4 + 2] === car.instanceId;
  };
  const r = check(paint(dayP, 0, 0, G.w, G.h, trainId('road'), 0.9, inCar));
  const f = r.flags.find((g) => g.kind === 'erased' && g.instanceId === car.instanceId);
  assert.ok(f, JSON.stringify(r.flags));
  assert.equal(f.cue, 'semantic');
  assert.equal(f.className, 'car');
  assert.ok(Math.abs(f.score - (0.9 - 0.1 / 18)) < 1e-4, `drop ${f.score}`);
  assert.equal(f.threshold, THRESHOLDS.semanticErasureThreshold);
  // The day reading does not find the car either: that object abstains, nothing is flagged.
  const lostByDay = paint(dayP, 0, 0, G.w, G.h, trainId('road'), 0.9, inCar);
  const r2 = check(lostByDay, lostByDay);
  assert.ok(!r2.flags.some((g) => g.instanceId === car.instanceId));
  assert.equal(r2.semantic!.objects.find((o) => o.instanceId === car.instanceId)!.abstained, true);
  assert.equal(r2.semantic!.abstained, false);
});

test('semantic cue: a frame the segmenter misreads by day abstains whole, and says so', async () => {
  // Day probabilities that read another scene: the day accuracy on this frame's labels is low.
  const other = await scene(500002);
  const wrongDay = fromLabels(other.labels, G.w, G.h);
  const inObjects = (i: number): boolean => {
    const x = i % G.w, y = (i - x) / G.w;
    return base.labels.instances[(y * 4 + 2) * 512 + x * 4 + 2] >= 1000;
  };
  // Night: cars everywhere the labels say stuff, objects read as road: every rule would fire.
  const nightP = paint(paint(dayP, 0, 32, G.w, G.h, trainId('car'), 0.9, (i) => !inObjects(i)), 0, 0, G.w, G.h, trainId('road'), 0.9, inObjects);
  const low = { semanticHallucinationThreshold: 1 };
  assert.ok(check(nightP, dayP, low).flags.filter((f) => f.cue === 'semantic').length >= 2, 'the rule fires on a frame it reads');
  const acc = check(nightP, wrongDay, low).semantic!.dayAccuracy;
  assert.ok(acc < 0.9, `day accuracy ${acc}`);
  // Judged with a bar under its day accuracy, abstaining with a bar over it.
  assert.equal(check(nightP, wrongDay, { ...low, semanticFrameAccuracy: acc - 0.01 }).semantic!.abstained, false);
  const r = check(nightP, wrongDay, { ...low, semanticFrameAccuracy: acc + 0.01 });
  assert.equal(r.semantic!.abstained, true);
  assert.deepEqual(r.semantic!.regions, []);
  assert.ok(r.semantic!.objects.length > 0 && r.semantic!.objects.every((o) => o.abstained));
  assert.ok(!r.flags.some((f) => f.cue === 'semantic'));
});

test('semantic cue: probability maps that do not match each other are refused', () => {
  const small = fromLabels(base.labels, 64, 32);
  assert.throws(() => check(small), /day 19x128x64, night 19x64x32/);
  assert.throws(() => check({ ...dayP, data: dayP.data.subarray(1) }), /values for 19x128x64/);
});

// ---- The segmenter through ONNX Runtime ----

const tmp = mkdtempSync(join(tmpdir(), 'semantic-'));
const CARD = {
  format: 'nightshift-segmenter', version: 1, model: 'model.onnx', architecture: { inputNc: 3, classes: 19, width: 4, depth: 2 },
  input: { width: 32, height: 16 }, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], classes: TRAIN_LABELS.map((l) => l.name), modelHash: 'test',
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/** A card's calibration for the model file with these bytes. */
const calibrationFor = (bytes: Uint8Array) => ({ modelSha256: sha256(bytes), seeds: 'none (test)', date: '2026-12-07', command: 'test', thresholds: THRESHOLDS });

/** A folder with a random-weight segmenter's ONNX model and a card calibrated for it; card fields overridable. */
async function modelFolder(name: string, arch: { classes?: number; width?: number; depth?: number }, card: Record<string, unknown> = {}, bytes?: Uint8Array): Promise<string> {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const seg = new Segmenter({ width: 4, depth: 2, ...arch }, { seed: 3 });
  const model = bytes ?? segmenterToOnnx(await seg.stateDict(), seg.architecture);
  writeFileSync(join(dir, 'model.onnx'), model);
  seg.dispose();
  writeFileSync(join(dir, 'segmenter.json'), JSON.stringify({ ...CARD, calibration: calibrationFor(model), ...card }));
  return dir;
}

test('segmenter: probabilities are the tfjs network\'s softmax on the frame area-resized to the card\'s size', async () => {
  await selectBackend('cpu');
  const seg = new Segmenter({ width: 4, depth: 2 }, { seed: 3 });
  const dir = await modelFolder('ok', {});
  const s = await SemanticSegmenter.open(dir);
  assert.deepEqual(s.calibration?.thresholds, THRESHOLDS);
  try {
    // A 64x32 frame averaged 2x2 down to the card's 32x16 (sums of 4 chosen even, so the mean is whole: no rounding).
    const frame: RgbImage = { width: 64, height: 32, data: Uint8Array.from({ length: 64 * 32 * 3 }, (_, i) => 4 * ((i * 37) % 63)) };
    const small = new Uint8Array(32 * 16 * 3);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) {
      const at = (dx: number, dy: number): number => frame.data[((2 * y + dy) * 64 + 2 * x + dx) * 3 + c];
      small[(y * 32 + x) * 3 + c] = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4;
    }
    const p = await s.probabilities(frame);
    assert.deepEqual([p.width, p.height, p.classes], [32, 16, 19]);
    // tfjs on the averaged bytes.
    const logits = segmenterLogits(seg, { width: 32, height: 16, data: small });
    let worst = 0;
    for (let i = 0; i < 32 * 16; i++) {
      let m = -Infinity, sum = 0;
      for (let c = 0; c < 19; c++) m = Math.max(m, logits[i * 19 + c]);
      for (let c = 0; c < 19; c++) sum += Math.exp(logits[i * 19 + c] - m);
      let total = 0;
      for (let c = 0; c < 19; c++) {
        const q = Math.exp(logits[i * 19 + c] - m) / sum;
        total += p.data[c * 512 + i];
        worst = Math.max(worst, Math.abs(q - p.data[c * 512 + i]));
      }
      assert.ok(Math.abs(total - 1) < 1e-5);
    }
    assert.ok(worst < 1e-4, `largest probability difference ${worst}`);
  } finally {
    await s.dispose();
    seg.dispose();
  }
});

test('segmenter: a missing or wrong model stops with the file named', async () => {
  const refuse = async (path: string, file: string, what: RegExp): Promise<void> => {
    await assert.rejects(SemanticSegmenter.open(path), (e: Error) => {
      assert.ok(e instanceof DatasetError, String(e));
      assert.ok(e.message.includes(file), `${e.message} names ${file}`);
      assert.match(e.message, what);
      return true;
    });
  };
  await refuse(join(tmp, 'none'), join(tmp, 'none', 'segmenter.json'), /cannot read the segmenter card/);
  let dir = await modelFolder('classes-card', {}, { classes: [...CARD.classes.slice(1), 'road'] });
  await refuse(dir, join(dir, 'segmenter.json'), /"classes" \[sidewalk, .*\] differ from the 19 expected/);
  dir = await modelFolder('classes-model', { classes: 5 });
  await refuse(dir, join(dir, 'model.onnx'), /shape \[1, 5, 16, 32\].*logits \[1, 19, h, w\]/);
  // A card whose input the network cannot take (depth 3 halves 36x20 to an odd size; the card says depth 2).
  dir = await modelFolder('size', { depth: 3 }, { input: { width: 36, height: 20 } });
  await refuse(dir, join(dir, 'model.onnx'), /does not run on a 1x3x20x36 input/);
  dir = await modelFolder('garbage', {}, {}, new TextEncoder().encode('not an onnx model'));
  await refuse(dir, join(dir, 'model.onnx'), /cannot open the segmenter model/);
  dir = await modelFolder('no-model', {}, { model: 'missing.onnx' });
  await refuse(dir, join(dir, 'missing.onnx'), /cannot read the segmenter model/);
});

test('segmenter: a card without a calibration, or with one made for other weights, is refused naming the card and the command', async () => {
  const refuse = async (dir: string, what: RegExp): Promise<void> => {
    const card = join(dir, 'segmenter.json');
    await assert.rejects(SemanticSegmenter.open(dir), (e: Error) => {
      assert.ok(e instanceof DatasetError, String(e));
      assert.ok(e.message.startsWith(`${card}: `), e.message);
      assert.match(e.message, what);
      assert.match(e.message, /bench\/consistency\.ts --calibrate .*--write-card/);
      return true;
    });
  };
  const none = await modelFolder('uncalibrated', {}, { calibration: undefined });
  await refuse(none, /no "calibration"/);
  // Opened for calibrating: no calibration, no refusal.
  const open = await SemanticSegmenter.open(none, { uncalibrated: true });
  assert.equal(open.calibration, undefined);
  await open.dispose();
  // Calibrated, then the model file replaced by other weights: the recorded hash no longer matches.
  const stale = await modelFolder('stale', {});
  const other = new Segmenter({ width: 4, depth: 2 }, { seed: 4 });
  writeFileSync(join(stale, 'model.onnx'), segmenterToOnnx(await other.stateDict(), other.architecture));
  other.dispose();
  await refuse(stale, /made for a model file with sha256 [0-9a-f]{12}…, the model file now has [0-9a-f]{12}…/);
  const bad = await modelFolder('bad-threshold', {}, { calibration: { ...calibrationFor(readFileSync(join(none, 'model.onnx'))), thresholds: { ...THRESHOLDS, semanticErasureThreshold: 'high' } } });
  await refuse(bad, /"calibration.thresholds.semanticErasureThreshold" must be a finite number/);
});

test('writeSemanticCalibration replaces only the card\'s calibration, and the card then opens', async () => {
  const dir = await modelFolder('rewrite', {}, { calibration: undefined, note: 'kept' });
  const file = join(dir, 'segmenter.json');
  const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const calibration = { ...calibrationFor(readFileSync(join(dir, 'model.onnx'))), thresholds: { ...THRESHOLDS, semanticFrameAccuracy: 0.5 } };
  await writeSemanticCalibration(file, calibration);
  const after = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(after, { ...before, calibration });
  const s = await SemanticSegmenter.open(dir);
  assert.equal(s.calibration?.thresholds.semanticFrameAccuracy, 0.5);
  await s.dispose();
});

test('the shipped segmenter: its card is calibrated for its model file; true night renders of evaluation scenes are judged and give no semantic flag', async () => {
  const folder = join(import.meta.dirname, '../../../datasets/models/segmenter');
  const s = await SemanticSegmenter.open(folder);
  const card = JSON.parse(readFileSync(join(folder, 'segmenter.json'), 'utf8')) as { calibration: { modelSha256: string } };
  assert.equal(card.calibration.modelSha256, sha256(readFileSync(join(folder, 'model.onnx'))));
  try {
    for (const seed of [500010, 500011]) {
      const { labels, day, night: trueNight } = await scene(seed);
      const r = checkConsistency({ sampleId: `s${seed}`, source: day, output: trueNight, labels, semantic: { day: await s.probabilities(day), night: await s.probabilities(trueNight), thresholds: s.calibration!.thresholds } });
      assert.equal(r.semantic!.abstained, false, `seed ${seed}: day accuracy ${r.semantic!.dayAccuracy}`);
      assert.deepEqual(r.flags.filter((f) => f.cue === 'semantic'), []);
    }
  } finally {
    await s.dispose();
  }
});
