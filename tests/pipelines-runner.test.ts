// pipelines/build.mjs: specs are validated against the schema (errors name the JSON pointer), and a
// sharded spec builds its shards and merges them; a second run builds nothing; a queued spec runs its
// coordinator and workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetFiles, tempDir, tinyCheckpoint, treeHashes } from '../apps/augment/test/pipeline-helpers.ts';
import { redisMissing, startRedis } from '../apps/augment/test/queue-helpers.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [join(REPO, 'pipelines', 'build.mjs'), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, out: r.stdout + r.stderr };
};

test('the committed specs are valid', () => {
  const r = run(['--validate-only', 'pipelines/sample-night.json', 'pipelines/cityscapes-night.json']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /sample-night.json: valid/);
  assert.match(r.out, /cityscapes-night.json: valid/);
});

test('a bad spec is refused with the JSON pointer of each problem', () => {
  const spec = join(tempDir('spec'), 'bad.json');
  writeFileSync(spec, JSON.stringify({ name: 'bad', input: { path: 'x', format: 'voc' }, direction: 'dusk', policy: 'ignore', output: { path: 'o' }, shards: 0 }));
  const r = run(['--validate-only', spec]);
  assert.equal(r.code, 2);
  assert.match(r.out, /at \/input\/format: must be equal to one of the allowed values \(cityscapes, coco\)/);
  assert.match(r.out, /at \/direction: must be equal to one of the allowed values/);
  assert.match(r.out, /at \/shards: must be >= 1/);
});

test('an unset ${VAR} in a spec path is named', () => {
  const r = run(['--dry-run', 'pipelines/cityscapes-night.json'], { CITYSCAPES_ROOT: '' });
  assert.equal(r.code, 2);
  assert.match(r.out, /cityscapes-night.json at \/input\/path: environment variable CITYSCAPES_ROOT is not set/);
});

test('a sharded spec builds both shards and merges them; the second run builds nothing', async () => {
  const model = await tinyCheckpoint(2);
  const dir = tempDir('pipeline');
  const spec = JSON.parse(readFileSync(join(REPO, 'pipelines', 'sample-night.json'), 'utf8'));
  Object.assign(spec, { $schema: undefined, limit: 3, backend: 'wasm', output: { path: join(dir, 'night'), formats: 'both' } });
  const file = join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const first = run([file, '--model', model]);
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /--shard 0\/2/);
  assert.match(first.out, /Merged 2 shards/);
  const lines = readFileSync(join(dir, 'night', 'manifest.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);
  const second = run([file, '--model', model]);
  assert.equal(second.code, 0, second.out);
  assert.equal([...second.out.matchAll(/up to date, 0 to build/g)].length, 2);
  assert.equal(readFileSync(join(dir, 'night', 'manifest.jsonl'), 'utf8').trim().split('\n').join('\n'), lines.join('\n'));
});

test('checks.cues and checks.segmenter become --checks and --segmenter', () => {
  const dir = tempDir('spec');
  const spec = { name: 'c', input: { path: 'datasets/sample', format: 'cityscapes' }, direction: 'night', policy: 'ignore', output: { path: join(dir, 'o') }, checks: { cues: 'structural', segmenter: 'datasets/models/segmenter' } };
  writeFileSync(join(dir, 'c.json'), JSON.stringify(spec));
  const r = run(['--dry-run', join(dir, 'c.json')]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`--checks structural --segmenter ${join(REPO, 'datasets', 'models', 'segmenter')} `));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...spec, checks: { cues: 'semantic' } }));
  const bad = run(['--validate-only', join(dir, 'bad.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /bad.json at \/checks\/cues: must be equal to one of the allowed values \(structural, all\)/);
});

test('execution: queue needs a queue block, local refuses shards', () => {
  const dir = tempDir('spec');
  const base = { name: 'q', input: { path: 'datasets/sample', format: 'cityscapes' }, direction: 'night', policy: 'ignore', output: { path: join(dir, 'o') } };
  writeFileSync(join(dir, 'queue.json'), JSON.stringify({ ...base, execution: 'queue' }));
  writeFileSync(join(dir, 'local.json'), JSON.stringify({ ...base, execution: 'local', shards: 2 }));
  const queue = run(['--validate-only', join(dir, 'queue.json')]);
  assert.equal(queue.code, 2);
  assert.match(queue.out, /queue.json at \/: must have required property 'queue'/);
  const local = run(['--validate-only', join(dir, 'local.json')]);
  assert.equal(local.code, 2);
  assert.match(local.out, /local.json at \/shards: must be <= 1/);
});

test('a queued spec starts its workers, runs the coordinator, stops the workers; the dataset equals a local run', { skip: redisMissing }, async () => {
  const model = await tinyCheckpoint(2);
  const dir = tempDir('pipeline-queue');
  const redis = await startRedis();
  try {
    const spec = {
      name: 'sample-queued', input: { path: 'datasets/sample', format: 'cityscapes' }, direction: 'night', policy: 'ignore',
      engine: 'tfjs', backend: 'wasm', limit: 3, output: { path: join(dir, 'queued'), formats: 'both' },
      execution: 'queue', queue: { redis: '${TEST_REDIS_URL}', unitSize: 2, workers: 2 },
    };
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const dry = run(['--dry-run', file, '--model', model], { TEST_REDIS_URL: redis.url });
    assert.equal(dry.code, 0, dry.out);
    assert.match(dry.out, /queue execution[\s\S]*nightshift worker --queue redis:\/\/127\.0\.0\.1:\d+\/0 --name sample-queued-1 &[\s\S]*--queue redis:\/\/127\.0\.0\.1:\d+\/0 --unit-size 2/);
    const queued = run([file, '--model', model], { TEST_REDIS_URL: redis.url });
    assert.equal(queued.code, 0, queued.out);
    assert.match(queued.out, /2 units of 2/);
    assert.equal((queued.out.match(/worker sample-queued-\d: stopped/g) ?? []).length, 2);
    writeFileSync(file, JSON.stringify({ ...spec, execution: 'local', queue: undefined, output: { path: join(dir, 'local'), formats: 'both' } }));
    const local = run([file, '--model', model]);
    assert.equal(local.code, 0, local.out);
    assert.deepEqual(treeHashes(join(dir, 'queued'), datasetFiles), treeHashes(join(dir, 'local'), datasetFiles));
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(model), { recursive: true, force: true });
  }
});
