// The onnx and tfjs engines build the same dataset: images within one level, labels, COCO and flags
// identical. And --engine auto measures and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cityscapesFrame, listCityscapesFrames, readRgb } from '@nightshift/labels';
import { exportGeneratorOnnx, loadGenerator } from '@nightshift/cyclegan';
import { writeFileSync } from 'node:fs';
import { cli, SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const model = await tinyCheckpoint(5);
const common = ['--input', SAMPLE, '--model', model, '--limit', '2'];

test('--engine onnx and --engine tfjs build the same dataset (images within 1 level, labels and flags identical)', async (t) => {
  const outTfjs = join(tempDir('tfjs'), 'night');
  const outOnnx = join(tempDir('onnx'), 'night');
  let r = await cli(['night', ...common, '--engine', 'tfjs', '--backend', 'wasm', '--output', outTfjs]);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(['night', ...common, '--engine', 'onnx', '--backend', 'cpu', '--output', outOnnx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /engine: onnx on cpu \(requested\)/);
  assert.match(r.stdout, /plan: 512x256 images \(padded\) run whole, up to \d+ per run/);

  const manifest = (dir: string) => readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const a = manifest(outTfjs);
  const b = manifest(outOnnx);
  // Scores move a little with the 1-level image differences; what is flagged must not, by any cue (the
  // default --checks all: structural and semantic), and neither may where the semantic cue abstains.
  const flagged = (m: { flags: { kind: string; cue: string; instanceId?: number; labelId: number }[] }) => m.flags.map((f) => [f.kind, f.cue, f.instanceId, f.labelId]);
  assert.deepEqual(b.map(flagged), a.map(flagged), 'same objects flagged');
  const abstentions = (m: { semantic: { abstained: boolean; abstainedObjects: number[] } }) => [m.semantic.abstained, m.semantic.abstainedObjects];
  assert.deepEqual(b.map(abstentions), a.map(abstentions), 'same abstentions');
  assert.deepEqual(b.map((m) => m.actions), a.map((m) => m.actions), 'same policy actions');
  let worst = 0;
  for (const frame of listCityscapesFrames(SAMPLE).slice(0, 2)) {
    const x = cityscapesFrame(join(outTfjs, 'cityscapes'), frame);
    const y = cityscapesFrame(join(outOnnx, 'cityscapes'), frame);
    for (const key of ['labelIdsPath', 'instanceIdsPath', 'labelTrainIdsPath', 'colorPath', 'polygonsPath'] as const) {
      assert.ok(readFileSync(x[key]).equals(readFileSync(y[key])), `${key} identical`);
    }
    const ix = await readRgb(x.imagePath);
    const iy = await readRgb(y.imagePath);
    for (let i = 0; i < ix.data.length; i++) worst = Math.max(worst, Math.abs(ix.data[i] - iy.data[i]));
  }
  t.diagnostic(`largest pixel difference onnx vs tfjs: ${worst} level(s)`);
  assert.ok(worst <= 1, `images differ by ${worst} levels`);
});

test('--engine auto measures the engines on this model and says which it took and why', async () => {
  const out = join(tempDir('auto'), 'night');
  const r = await cli(['night', ...common, '--limit', '1', '--output', out, '--no-checks', '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--engine auto measured this model: fastest on a 128x128 probe: (onnx|tfjs):\w+; measured .*onnx:cpu [\d.]+ ms/);
  const chosen = /fastest on a 128x128 probe: ((onnx|tfjs):\w+)/.exec(r.stdout)![1];

  // A rerun keeps that engine without measuring, so the samples stay up to date.
  const again = await cli(['night', ...common, '--limit', '1', '--output', out, '--no-checks', '--verbose']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`--engine auto kept ${chosen}, which the previous run of this build chose`));
  assert.doesNotMatch(again.stdout, /measured this model/);
  assert.match(again.stdout, /1 up to date, 0 to build/);
});

test('an ONNX model runs on the onnx engine, and --engine tfjs refuses it with what to do', async () => {
  const onnx = join(tempDir('onnxmodel'), 'g.onnx');
  const generator = await loadGenerator(model, { which: 'G_A' });
  writeFileSync(onnx, await exportGeneratorOnnx(generator));
  generator.dispose();
  let r = await cli(['night', '--input', SAMPLE, '--model', onnx, '--limit', '1', '--output', join(tempDir('o'), 'night'), '--no-checks']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /an ONNX model runs on the onnx engine/);
  r = await cli(['night', '--input', SAMPLE, '--model', onnx, '--engine', 'tfjs', '--output', join(tempDir('p'), 'night')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /only the onnx engine runs; use --engine onnx/);
});

test('--engine onnx --tile 64 runs tiled and builds the same images as whole-image onnx (to one level)', async (t) => {
  const outs = [join(tempDir('onnxtiled'), 'night'), join(tempDir('onnxwhole'), 'night')];
  const plans = [/plan: 512x256 images \(padded\) run tiled: tiling 'always' \(64 px tiles\)/, /plan: 512x256 images \(padded\) run whole, up to 1 per run/];
  for (const [k, [out, tile]] of [[outs[0], '64'], [outs[1], 'off']].entries()) {
    const r = await cli(['night', ...common, '--limit', '1', '--engine', 'onnx', '--backend', 'cpu', '--tile', tile, '--no-checks', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, plans[k]);
  }
  const [frame] = listCityscapesFrames(SAMPLE);
  const [a, b] = await Promise.all(outs.map((o) => readRgb(cityscapesFrame(join(o, 'cityscapes'), frame).imagePath)));
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  t.diagnostic(`${a.width}x${a.height}: largest pixel difference onnx --tile 64 vs --tile off: ${worst} level(s)`);
  assert.ok(worst <= 1, `images differ by ${worst} levels`);
});
