// Isolation: the input is only ever read (a build from a read-only bind mount works and leaves the
// input's bytes and mtimes as they were); an output that is the input, lies inside it or contains it
// is refused by night, convert and merge; two runs on one output are refused through the lock,
// naming the holder, and the lock of a killed run is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { cli, datasetFiles, SAMPLE, sha256, tempDir, tinyCheckpoint, treeHashes } from './pipeline-helpers.ts';
import { isMountPoint, sh, unmount, walkFiles } from './reliability-helpers.ts';
import { nightshiftProcess } from './process-helpers.ts';

const root = tempDir('isolation');
const model = await tinyCheckpoint();
const scenes = join(root, 'data', 'scenes');
const synth = await cli(['synth', '--output', scenes, '--count', '3', '--width', '128', '--height', '64', '--no-faults']);
assert.equal(synth.code, 0, synth.stderr);
const night = (input: string, output: string, ...more: string[]): string[] => [
  'night', '--input', input, '--output', output, '--model', model, '--engine', 'tfjs', '--backend', 'wasm', '--batch', '2', ...more,
];

/** Every file and folder under `dir` (hidden ones included) with its bytes' hash and mtime. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>([['.', String(statSync(dir).mtimeMs)]]);
  for (const rel of walkFiles(dir)) {
    const path = join(dir, ...rel.split('/'));
    out.set(rel, `${sha256(readFileSync(path))} ${statSync(path).mtimeMs}`);
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.';
    out.set(`${parent}/`, String(statSync(join(dir, ...parent.split('/'))).mtimeMs));
  }
  return out;
}

test.after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(join(model, '..'), { recursive: true, force: true });
});

test('a build reads its input from a read-only bind mount, and the input bytes and mtimes stay as they were', async (t) => {
  const mount = join(root, 'readonly');
  mkdirSync(mount);
  const why = sh('mount', ['--bind', scenes, mount]);
  if (why) {
    t.skip(`cannot bind-mount here (${why})`);
    return;
  }
  try {
    const remount = sh('mount', ['-o', 'remount,ro,bind', mount]);
    if (remount) {
      t.skip(`cannot remount read-only here (${remount})`);
      return;
    }
    assert.throws(() => writeFileSync(join(mount, 'probe'), 'x'), /EROFS/);
    const before = snapshot(scenes);
    const fromReadOnly = join(root, 'out-ro');
    const r = await cli(night(mount, fromReadOnly));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(treeHashes(fromReadOnly, (p) => p.startsWith('cityscapes/leftImg8bit/')).size, 3);
    const converted = await cli(['convert', '--input', mount, '--from', 'cityscapes', '--to', 'coco', '--output', join(root, 'coco-ro')]);
    assert.equal(converted.code, 0, converted.stderr);
    assert.equal((await cli(['validate', '--input', mount])).code, 0);

    // The same build from the writable original: identical files, and still nothing written there.
    const fromOriginal = join(root, 'out-rw');
    assert.equal((await cli(night(scenes, fromOriginal))).code, 0);
    const images = (dir: string): Map<string, string> => treeHashes(dir, (p) => datasetFiles(p) && p !== 'manifest.jsonl');
    assert.deepEqual(images(fromReadOnly), images(fromOriginal));
    assert.deepEqual(snapshot(scenes), before);
  } finally {
    unmount(mount);
    assert.ok(!isMountPoint(mount));
  }
});

test('an output that is the input, lies inside it or contains it is refused (exit 2) by night, convert and merge', async () => {
  const before = snapshot(join(root, 'data'));
  const cases: [string, RegExp][] = [
    [scenes, /is inside the input/],
    [join(scenes, 'night'), /is inside the input/],
    [join(scenes, 'gtFine', 'night'), /is inside the input/],
    [join(root, 'data'), /contains the input/],
  ];
  for (const [output, message] of cases) {
    const r = await cli(night(scenes, output));
    assert.equal(r.code, 2, `night --output ${output}: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^nightshift: --output /);
    const c = await cli(['convert', '--input', scenes, '--from', 'cityscapes', '--to', 'coco', '--output', output]);
    assert.equal(c.code, 2, `convert --output ${output}`);
    assert.match(c.stderr, message);
  }
  // merge reads shard builds: its output may not be one of them, nor inside or around one.
  const shards = join(root, 'shards');
  for (const i of [0, 1]) assert.equal((await cli(night(scenes, join(shards, `s${i}`), '--shard', `${i}/2`))).code, 0);
  const shardState = snapshot(shards);
  for (const [output, message] of [
    [join(shards, 's0'), /is inside the input/], [join(shards, 's1', 'merged'), /is inside the input/], [shards, /contains the input/],
  ] as const) {
    const m = await cli(['merge', '--output', output, join(shards, 's0'), join(shards, 's1')]);
    assert.equal(m.code, 2, `merge --output ${output}: ${m.stdout}`);
    assert.match(m.stderr, message);
  }
  assert.deepEqual(snapshot(shards), shardState);
  const merged = await cli(['merge', '--output', join(root, 'merged'), join(shards, 's0'), join(shards, 's1')]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(snapshot(join(root, 'data')), before, 'nothing was written into the input');
});

test('a second run on an output in use is refused through the lock, naming the holder; a killed holder\'s lock is taken over', async () => {
  const output = join(root, 'locked');
  const lockPath = join(output, '.nightshift', 'lock');
  // The embedded sample (8 scenes of 512x256) on the slow cpu backend: it holds the lock for long.
  const holder = nightshiftProcess(night(SAMPLE, output, '--backend', 'cpu'));
  const pid = holder.child.pid!;
  try {
    while (!existsSync(lockPath) || !readFileSync(lockPath, 'utf8').includes(`"pid":${pid}`)) {
      assert.equal(holder.child.exitCode, null, `the first run ended before it was seen holding the lock: ${holder.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await cli(night(scenes, output));
    assert.equal(second.code, 2);
    const holderText = new RegExp(`--output ${output} is in use by another nightshift run \\(nightshift night, pid ${pid} on ${hostname()} since [0-9T:.Z-]+\\); wait for it to finish, or delete ${lockPath} if that run is gone`);
    assert.match(second.stderr, holderText);
    const merge = await cli(['merge', '--output', output, join(root, 'shards', 's0'), join(root, 'shards', 's1')]);
    assert.equal(merge.code, 2);
    assert.match(merge.stderr, /is in use by another nightshift run \(nightshift night, pid/);
  } finally {
    holder.child.kill('SIGKILL');
    await holder.exited;
  }
  // The killed run's lock names a pid that is gone: the next run takes it over, finishes and releases it.
  assert.match(readFileSync(lockPath, 'utf8'), new RegExp(`"pid":${pid}`));
  const resumed = await cli(night(SAMPLE, output, '--limit', '1'));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(!existsSync(lockPath));

  // A lock held from another host cannot be judged from here: refused, naming that host.
  writeFileSync(lockPath, `${JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00.000Z', command: 'nightshift day' })}\n`);
  const other = await cli(night(SAMPLE, output, '--limit', '1'));
  assert.equal(other.code, 2);
  assert.match(other.stderr, /in use by another nightshift run \(nightshift day, pid 1 on elsewhere since 2026-01-01T00:00:00.000Z\)/);
  rmSync(lockPath);
});
