// The bad-input corpus (tests/fixtures/bad) through the CLI: each fixture's exit code, the file and
// problem on stderr, the skip count in summary.json, the manifest entry, the good samples still built
// (sample level) or nothing written (dataset level), --on-error fail, validate, and inputs untouched.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { DatasetProblem } from '@nightshift/labels';
import { cli, tempDir, tinyCheckpoint, treeHashes } from '../apps/augment/test/pipeline-helpers.ts';
import { BAD_FRAME, BAD_IMAGE_ID, CORPUS, FRAMES, makeBase, type Fixture } from './fixtures/bad/corpus.ts';

const work = tempDir('bad-inputs');
const model = await tinyCheckpoint();
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(dirname(model), { recursive: true, force: true });
});
const base = await makeBase(join(work, 'base'), model);

const night = (input: string, output: string, checkpoint: string, ...extra: string[]) =>
  cli(['night', '--input', input, '--output', output, '--model', checkpoint, '--engine', 'tfjs', '--backend', 'cpu', ...extra]);

interface ManifestEntry {
  sample: string;
  status: string;
  outputs: { path: string }[];
  problem?: DatasetProblem;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const manifest = (output: string): ManifestEntry[] =>
  readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);

/** `actual` is the fixture's problem: its file, pointer and wording. */
function assertProblem(f: Fixture, dir: string, actual: DatasetProblem | undefined): void {
  assert.ok(actual, 'no problem recorded');
  const { file, pointer, reason } = f.expected;
  assert.equal(actual.file, join(dir, file));
  assert.equal(actual.pointer, pointer);
  assert.match(actual.reason, reason);
}

/** The one stderr line that names the problem: `nightshift: [skipped <sample>: ]<file>[ at <pointer>]: <reason>`. */
function stderrProblem(stderr: string, prefix: string): DatasetProblem {
  const line = stderr.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line, `no line starting with "${prefix}" in:\n${stderr}`);
  const m = /^(\/.*?)(?: at (\/\S*))?: (.*)$/.exec(line.slice(prefix.length));
  assert.ok(m, line);
  return { file: m[1], ...(m[2] !== undefined ? { pointer: m[2] } : {}), reason: m[3] };
}

for (const f of CORPUS) {
  test(`${f.name} (${f.level} level): ${f.what}`, async () => {
    const dir = join(work, f.name);
    mkdirSync(dir);
    const made = await f.make(dir, base);
    const before = treeHashes(dir);
    const output = join(work, `${f.name}.out`);

    // An error that is not a DatasetError or UsageError escapes main, with its stack: the test fails.
    const r = await night(made.input, output, made.model);
    assert.equal(r.code, f.expected.exit, r.stderr);
    if (f.level === 'sample') {
      assertProblem(f, dir, stderrProblem(r.stderr, `nightshift: skipped ${f.expected.sample}: `));
      const summary = readJson(join(output, 'summary.json')) as { samples: Record<string, number>; failures: (DatasetProblem & { sample: string })[] };
      assert.deepEqual([summary.samples.written, summary.samples.failed], [FRAMES.length - 1, 1]);
      assert.equal(summary.failures.length, 1);
      assert.equal(summary.failures[0].sample, f.expected.sample);
      assertProblem(f, dir, summary.failures[0]);
      const entries = manifest(output);
      assert.deepEqual(entries.map((e) => e.status), entries.map((e) => (e.sample === f.expected.sample ? 'failed' : 'written')));
      const failed = entries.find((e) => e.sample === f.expected.sample)!;
      assertProblem(f, dir, failed.problem);
      assert.deepEqual(failed.outputs, []);
      // The other samples are built; nothing of the failed one is in the dataset.
      const files = [...treeHashes(output, (p) => p.startsWith('cityscapes/') || p.startsWith('coco/')).keys()];
      for (const e of entries.filter((x) => x.status === 'written')) for (const o of e.outputs) assert.ok(files.includes(o.path), o.path);
      assert.ok(!files.some((p) => p.includes(BAD_FRAME)), `${BAD_FRAME} has output files`);
      const coco = readJson(join(output, 'coco', 'annotations', 'instances_val.json')) as { images: { id: number }[] };
      assert.equal(coco.images.length, FRAMES.length - 1);

      // --on-error fail: stops at the same problem with exit 1.
      const failOutput = join(work, `${f.name}.fail`);
      const stopped = await night(made.input, failOutput, made.model, '--on-error', 'fail');
      assert.equal(stopped.code, 1, stopped.stderr);
      assertProblem(f, dir, stderrProblem(stopped.stderr, 'nightshift: '));
    } else {
      assertProblem(f, dir, stderrProblem(r.stderr, 'nightshift: '));
      assert.deepEqual([...treeHashes(output).keys()], [], 'files written for a dataset that was refused');
    }
    assert.deepEqual(treeHashes(dir), before, 'the input changed');

    if (f.expected.validate) {
      const v = await cli(['validate', '--input', made.input]);
      assert.equal(v.code, 1, v.stdout);
      assert.ok(`${v.stdout}\n${v.stderr}`.includes(join(dir, f.expected.file)), v.stdout);
    }
  });
}

test('the sample skipped for a truncated image is built by the next run once the file is fixed', async () => {
  const f = CORPUS.find((x) => x.name === 'cityscapes-image-truncated-png')!;
  const output = join(work, `${f.name}.out`);
  const dir = join(work, f.name);
  cpSync(join(base.cityscapes, f.expected.file.slice('cityscapes/'.length)), join(dir, f.expected.file));
  const r = await night(join(dir, 'cityscapes'), output, model);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 samples: 2 up to date, 1 to build/);
  assert.deepEqual(manifest(output).map((e) => e.status), ['written', 'written', 'written']);
});

test('a COCO image that is a JPEG named .jpg is read (the extension rule refuses mismatches only)', async () => {
  const dir = join(work, 'coco-jpeg');
  cpSync(base.coco, dir, { recursive: true });
  const json = join(dir, 'annotations', 'instances_val.json');
  const ds = readJson(json) as { images: { id: number; file_name: string }[] };
  const entry = ds.images.find((i) => i.id === BAD_IMAGE_ID)!;
  const jpeg = entry.file_name.replace(/\.png$/, '.jpg');
  writeFileSync(join(dir, 'val', jpeg), await sharp(readFileSync(join(dir, 'val', entry.file_name))).jpeg().toBuffer());
  entry.file_name = jpeg;
  writeFileSync(json, JSON.stringify(ds));
  const r = await night(json, join(work, 'coco-jpeg.out'), model);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(manifest(join(work, 'coco-jpeg.out')).map((e) => e.status), ['written', 'written', 'written']);
});
