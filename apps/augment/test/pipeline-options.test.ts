// Option values are checked before any work, and every refusal says what to change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nightshift } from './helpers.ts';
import { cli, SAMPLE, tempDir } from './pipeline-helpers.ts';
import { parseShard, parseTile, resolveOutputFormats } from '../src/option-values.ts';

const out = (name: string): string => join(tempDir('opts'), name);

test('bad option values are refused with the valid choices', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--shard', '2/2'], /--shard 2\/2: need n >= 1 and 0 <= i < n/],
    [['--shard', 'x'], /--shard must be i\/n/],
    [['--tile', '30'], /--tile must be auto, off, or a tile side in pixels/],
    [['--batch', '0'], /--batch must be an integer of at least 1/],
    [['--limit', '-1'], /--limit must be an integer of at least 1/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['night', '--output', out('x'), ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
  for (const [flag, value] of [['--on-flag', 'erase'], ['--engine', 'torch'], ['--backend', 'cuda'], ['--output-format', 'voc']]) {
    const r = await cli(['night', flag, value]);
    assert.notEqual(r.code, 0);
  }
});

test('choices are listed by the CLI for enumerated options', () => {
  const r = nightshift(['night', '--on-flag', 'erase']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Allowed choices are keep, ignore, drop/);
});

test('a --model that does not exist is named, with what to pass instead', async () => {
  const r = await cli(['night', '--model', join(tempDir('nomodel'), 'missing'), '--output', out('nomodel')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--model .*missing: no such file or folder; pass a checkpoint folder/);
});

test('an output inside the input, or a folder of other files, is refused', async () => {
  const model = join(tempDir('m'), 'g.safetensors');
  writeFileSync(model, 'x');
  let r = await cli(['night', '--model', model, '--output', join(SAMPLE, 'out')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is inside the input/);
  const busy = out('busy');
  mkdirSync(busy, { recursive: true });
  writeFileSync(join(busy, 'notes.txt'), 'mine');
  r = await cli(['night', '--model', model, '--output', busy, '--backend', 'cpu']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already holds files that are not a nightshift build/);
});

test('option parsers', () => {
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
  assert.equal(parseTile('512'), 512);
  assert.equal(parseTile('off'), 'off');
  assert.throws(() => parseTile('514'), /multiple of 4/);
  assert.deepEqual(resolveOutputFormats('both', 'cityscapes', false), ['cityscapes', 'coco']);
  assert.deepEqual(resolveOutputFormats('both', 'coco', false), ['coco']);
  assert.throws(() => resolveOutputFormats('cityscapes', 'coco', true), /needs Cityscapes input/);
});
