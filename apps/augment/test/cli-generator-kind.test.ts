// `--generator <kind>` in night and day states the kind the model must be; the model's config.json
// or weights decide its kind. A wrong or unknown kind, and a checkpoint whose config.json names a kind
// its weights are not, fail naming the file and the mismatch, and write nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportGeneratorOnnx, generatorKinds, loadGenerator } from '@nightshift/cyclegan';
import { REPO } from './helpers.ts';
import { cli, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const DEFAULT_MODEL = join(REPO, 'datasets', 'models', 'default');
const FAST = ['--engine', 'onnx', '--backend', 'cpu', '--no-checks', '--limit', '1'];

test('an unknown --generator is refused with the registered kinds, and nothing is written', async () => {
  const output = join(tempDir('gen-unknown'), 'out');
  const r = await cli(['night', '--generator', 'hdrnet', '--output', output, ...FAST]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`--generator must be one of ${generatorKinds().map((k) => k.name).join(', ')}, got "hdrnet"`));
  assert.equal(existsSync(output), false);
});

test('--generator that is not the model\'s kind names the file that says its kind, and nothing is written', async () => {
  const output = join(tempDir('gen-mismatch'), 'out');
  for (const direction of ['night', 'day']) {
    const r = await cli([direction, '--generator', 'resnet', '--output', output, ...FAST]);
    assert.equal(r.code, 1, r.stderr);
    const which = direction === 'night' ? 'G_A' : 'G_B';
    assert.ok(r.stderr.includes(`${join(DEFAULT_MODEL, 'config.json')}: names a bilateral generator for ${which}, but a resnet generator was expected`), r.stderr);
    assert.equal(existsSync(output), false);
  }
  // A bare ONNX file: its kind is what its initialisers spell.
  const checkpoint = await tinyCheckpoint();
  const onnx = join(tempDir('gen-onnx'), 'g.onnx');
  const g = await loadGenerator(checkpoint, { which: 'G_A' });
  writeFileSync(onnx, await exportGeneratorOnnx(g));
  g.dispose();
  const r = await cli(['night', '--model', onnx, '--generator', 'bilateral', '--output', output, ...FAST]);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(`${onnx}: holds a resnet generator, but a bilateral generator was expected`), r.stderr);
  assert.equal(existsSync(output), false);
});

test('the model\'s own kind passes --generator and translates', async () => {
  const output = join(tempDir('gen-ok'), 'out');
  const r = await cli(['night', '--generator', 'bilateral', '--output', output, ...FAST]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(output, 'manifest.jsonl')));
});

test('a checkpoint whose config.json names a kind its weights are not is refused naming both, and nothing is written', async () => {
  const checkpoint = await tinyCheckpoint(); // ResNet weights
  const configPath = join(checkpoint, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { architecture: Record<string, unknown> };
  config.architecture.generator = 'bilateral';
  writeFileSync(configPath, JSON.stringify(config));
  const output = join(tempDir('gen-config'), 'out');
  const r = await cli(['night', '--model', checkpoint, '--output', output, ...FAST]);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(`${join(checkpoint, 'G_A.safetensors')}: holds resnet generator weights, but ${configPath} names generator "bilateral" for G_A`), r.stderr);
  assert.equal(existsSync(output), false);
});
