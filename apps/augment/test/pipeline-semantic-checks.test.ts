// --checks structural|all: the semantic cue's segmenter is opened before anything is written (a missing
// or wrong model stops the run naming its file), its verdicts go into the manifest, summary and report
// (and, from `nightshift check`, into checks.jsonl and the console), and --checks structural runs without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRAIN_LABELS } from '@nightshift/labels';
import { Segmenter, segmenterToOnnx } from '@nightshift/cyclegan';
import { cli, SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const model = await tinyCheckpoint(4);
const common = ['--input', SAMPLE, '--model', model, '--limit', '2', '--engine', 'onnx', '--backend', 'cpu'];
const CARD = {
  format: 'nightshift-segmenter', version: 1, model: 'model.onnx', architecture: { inputNc: 3, classes: 19, width: 4, depth: 2 },
  input: { width: 64, height: 32 }, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], classes: TRAIN_LABELS.map((l) => l.name), modelHash: 'test',
};

// The tiny segmenters' own thresholds (not calibrated: these tests look at the plumbing, not the figures).
const THRESHOLDS = { semanticPixelThreshold: 0.3, semanticHallucinationThreshold: 1000, semanticErasureThreshold: 0.5, semanticFrameAccuracy: 0.6, semanticObjectCoverage: 0.2 };

/** A segmenter folder: a random-weight network's ONNX model (or the given bytes) and its card, calibrated for that model unless told not. */
async function segmenterFolder(name: string, classes = 19, bytes?: Uint8Array, calibrated = true): Promise<string> {
  const dir = join(tempDir('seg'), name);
  mkdirSync(dir, { recursive: true });
  const seg = new Segmenter({ width: 4, depth: 2, classes }, { seed: 5 });
  const model = bytes ?? segmenterToOnnx(await seg.stateDict(), seg.architecture);
  writeFileSync(join(dir, 'model.onnx'), model);
  seg.dispose();
  const calibration = { modelSha256: createHash('sha256').update(model).digest('hex'), seeds: 'none (test)', date: '2026-12-07', command: 'test', thresholds: THRESHOLDS };
  writeFileSync(join(dir, 'segmenter.json'), JSON.stringify({ ...CARD, ...(calibrated ? { calibration } : {}) }));
  return dir;
}

const manifest = (dir: string) => readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('--checks all with a missing, wrong or uncalibrated segmenter stops before anything is written, naming the file', async () => {
  const wrongClasses = await segmenterFolder('classes', 7);
  const garbage = await segmenterFolder('garbage', 19, new TextEncoder().encode('no model'));
  const missing = join(tempDir('seg'), 'absent');
  const uncalibrated = await segmenterFolder('uncalibrated', 19, undefined, false);
  const cases: [string, string, RegExp][] = [
    [uncalibrated, join(uncalibrated, 'segmenter.json'), /no "calibration".*bench\/consistency\.ts --calibrate/],
    [missing, join(missing, 'segmenter.json'), /cannot read the segmenter card/],
    [wrongClasses, join(wrongClasses, 'model.onnx'), /shape \[1, 7, 32, 64\].*logits \[1, 19, h, w\]/],
    [garbage, join(garbage, 'model.onnx'), /cannot open the segmenter model/],
  ];
  for (const [segmenter, file, problem] of cases) {
    const out = join(tempDir('bad'), 'night');
    const r = await cli(['night', ...common, '--checks', 'all', '--segmenter', segmenter, '--output', out]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.ok(r.stderr.includes(file), `${r.stderr} names ${file}`);
    assert.match(r.stderr, problem);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});

test('--checks all records the semantic verdict per sample; --checks structural runs without a segmenter', async () => {
  // Random weights read no frame well by day: every frame abstains, and the build says so.
  const segmenter = await segmenterFolder('random');
  const out = join(tempDir('all'), 'night');
  let r = await cli(['night', ...common, '--checks', 'all', '--segmenter', segmenter, '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /checks: .*structural and semantic cues .*model\.onnx/);
  assert.match(r.stdout, /The semantic cue abstained on 2 of 2 frames/);
  const records = manifest(out);
  assert.equal(records.length, 2);
  for (const m of records) {
    assert.equal(m.semantic.abstained, true);
    assert.ok(m.semantic.dayAccuracy >= 0 && m.semantic.dayAccuracy < 0.5, `day accuracy ${m.semantic.dayAccuracy}`);
    assert.equal(m.semantic.abstainedObjects.length, m.semantic.objects);
    assert.ok(m.flags.every((f: { cue: string }) => f.cue === 'structure' || f.cue === 'light'));
    assert.match(m.options.checks, /semantic cue, segmenter [0-9a-f]{12}/);
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual({ frames: summary.flags.semantic.frames, abstainedFrames: summary.flags.semantic.abstainedFrames }, { frames: 2, abstainedFrames: 2 });
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /The semantic cue abstained on 2 of 2 frames/);
  assert.equal((html.match(/semantic cue abstained on this frame/g) ?? []).length, 2);

  // `nightshift check` on the build: the same verdicts in checks.jsonl, and the same sentence printed.
  r = await cli(['check', '--output', out, '--checks', 'all', '--segmenter', segmenter]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Checked 2 samples/);
  assert.match(r.stdout, /The semantic cue abstained on 2 of 2 frames/);
  const checked = readFileSync(join(out, 'checks.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(checked.map((c) => c.semantic), records.map((m) => m.semantic));

  // Structural cues only: no segmenter is opened (a missing one does not matter), no verdict is recorded.
  const structural = join(tempDir('structural'), 'night');
  r = await cli(['night', ...common, '--checks', 'structural', '--segmenter', join(tempDir('seg'), 'absent'), '--output', structural]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /checks: .*structural cues/);
  for (const m of manifest(structural)) {
    assert.equal(m.semantic, undefined);
    assert.match(m.options.checks, /; structural cues\)/);
  }
  // The structural decisions are the same either way.
  const decisions = (dir: string) => manifest(dir).map((m) => m.flags.map((f: { kind: string; instanceId?: number; labelId: number }) => [f.kind, f.instanceId, f.labelId]));
  assert.deepEqual(decisions(structural), decisions(out));
});
