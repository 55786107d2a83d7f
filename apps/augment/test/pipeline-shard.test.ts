// --shard i/n partitions the sorted sample list; merge assembles the shard builds into a dataset whose
// files and manifest are byte-identical to the unsharded build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, datasetFiles, SAMPLE, tempDir, tinyCheckpoint, treeHashes } from './pipeline-helpers.ts';
import { shardIndices } from '../src/pipeline/options.ts';

const model = await tinyCheckpoint(7);
const root = tempDir('shards');
const common = ['--input', SAMPLE, '--model', model, '--limit', '3', '--backend', 'wasm'];

test('shard i/n is a round-robin partition of the sorted list', () => {
  assert.deepEqual(shardIndices(7, { index: 1, count: 3 }), [1, 4]);
  const all = [0, 1, 2].flatMap((index) => shardIndices(7, { index, count: 3 })).sort((a, b) => a - b);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6]);
});

test('shards 0/2 and 1/2 merged equal the unsharded build byte for byte', async () => {
  const whole = join(root, 'whole');
  const s0 = join(root, 's0');
  const s1 = join(root, 's1');
  const merged = join(root, 'merged');
  for (const [out, shard] of [[whole, undefined], [s0, '0/2'], [s1, '1/2']] as const) {
    const r = await cli(['night', ...common, '--output', out, ...(shard ? ['--shard', shard] : [])]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(readFileSync(join(s0, 'manifest.jsonl'), 'utf8').trim().split('\n').length, 2);
  assert.equal(readFileSync(join(s1, 'manifest.jsonl'), 'utf8').trim().split('\n').length, 1);
  const m = await cli(['merge', '--output', merged, s1, s0]);
  assert.equal(m.code, 0, m.stderr);
  const expected = treeHashes(whole, datasetFiles);
  assert.ok(expected.size > 20);
  assert.deepEqual(treeHashes(merged, datasetFiles), expected);
  const summary = JSON.parse(readFileSync(join(merged, 'summary.json'), 'utf8'));
  assert.equal(summary.samples.written, 3);
  assert.equal(summary.mergedFrom.length, 2);
  // Merging again is a no-op that leaves the same bytes.
  const again = await cli(['merge', '--output', merged, s0, s1]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(treeHashes(merged, datasetFiles), expected);
});

test('merge refuses an incomplete or mixed set of shards', async () => {
  const s0 = join(root, 's0');
  const r = await cli(['merge', '--output', join(root, 'bad'), s0]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /each of the 2 shards exactly once.*missing 1\/2/);
  const r2 = await cli(['merge', '--output', join(root, 'bad2'), s0, join(root, 'whole')]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /unsharded build/);
});

test('a shard folder is not reused for another shard', async () => {
  const r = await cli(['night', ...common, '--output', join(root, 's0'), '--shard', '1/2']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /holds a build of .*shard 0\/2/);
});

test('--engine auto takes the same engine in every shard (fixed order, untimed); shards on different engines are refused with how to fix it', async () => {
  const auto = ['--input', SAMPLE, '--model', model, '--limit', '3', '--no-checks'];
  const [a0, a1] = [join(root, 'auto0'), join(root, 'auto1')];
  for (const [out, shard] of [[a0, '0/2'], [a1, '1/2']] as const) {
    const r = await cli(['night', ...auto, '--output', out, '--shard', shard]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /engine: onnx on cpu \(fixed order, the same in every shard/);
  }
  const merged = await cli(['merge', '--output', join(root, 'auto-merged'), a0, a1]);
  assert.equal(merged.code, 0, merged.stderr);

  const [m0, m1] = [join(root, 'mixed0'), join(root, 'mixed1')];
  assert.equal((await cli(['night', ...auto, '--output', m0, '--shard', '0/2', '--engine', 'tfjs', '--backend', 'wasm'])).code, 0);
  assert.equal((await cli(['night', ...auto, '--output', m1, '--shard', '1/2', '--engine', 'onnx', '--backend', 'cpu'])).code, 0);
  const mixed = await cli(['merge', '--output', join(root, 'mixed'), m0, m1]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /was translated by onnx on cpu, but .*mixed0 by tfjs on wasm; the shards of one build must run one engine .*Rebuild .*mixed1 with --engine tfjs --backend wasm/);
});
