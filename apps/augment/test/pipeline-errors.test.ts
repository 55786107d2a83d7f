// The error policy of a build (ErrorPolicy in build-samples.ts): a problem in one sample's own data
// fails that sample in whichever stage finds it (here the check stage, through a test checker that
// refuses one sample), and is skipped or stops the build as --on-error says; any other error stops
// the build. The errors of the pipeline map to the CLI's exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CITYSCAPES_COCO_CATEGORIES, DatasetError } from '@nightshift/labels';
import { loadGenerator, TfjsTranslator } from '@nightshift/cyclegan';
import type { CheckOutcome, Checker } from '../src/pipeline/checks.ts';
import type { ErrorPolicy } from '../src/pipeline/build-samples.ts';
import { BuildRequestError } from '../src/pipeline/errors.ts';
import { QueueError } from '../src/pipeline/distributed/unit-queue.ts';
import { openSource } from '../src/pipeline/open-source.ts';
import { buildDataset } from '../src/pipeline/run.ts';
import { EXIT, exitCodeOf } from '../src/exit-codes.ts';
import { UsageError } from '../src/usage-error.ts';
import { SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';

const model = await tinyCheckpoint(5);
const translator = await TfjsTranslator.create(await loadGenerator(model, { which: 'G_A' }));
const source = await openSource({ format: 'cityscapes', path: SAMPLE });
const [, second] = source.items;

/** Refuses the second sample with `error`, passes the others without flags. */
const refusing = (error: Error): Checker => ({
  id: 'test: refuses one sample',
  async check(sample): Promise<CheckOutcome> {
    if (sample.id === second.key) throw error;
    return { flags: [] };
  },
});

const build = (checker: Checker, onError: ErrorPolicy, output: string) => buildDataset({
  direction: 'night', source, output, formats: ['cityscapes', 'coco'], policy: 'ignore', tile: 'auto', batch: 2, seed: 0, limit: 3,
  onError, translator, engine: { name: 'tfjs', backend: 'wasm', why: 'test' }, model: { path: model }, checker, checkStatus: 'test',
}, CITYSCAPES_COCO_CATEGORIES);

test('a sample problem found by the checks is skipped like a decode or write problem', async () => {
  const output = join(tempDir('errors-skip'), 'out');
  const problem = new DatasetError(second.files[0].absolute, 'cannot be checked');
  const summary = await build(refusing(problem), 'skip', output);
  assert.deepEqual({ written: summary.samples.written, failed: summary.samples.failed }, { written: 2, failed: 1 });
  assert.deepEqual(summary.failures, [{ sample: second.key, file: second.files[0].absolute, reason: 'cannot be checked' }]);
  assert.ok(existsSync(join(output, 'manifest.jsonl')));
});

test('with --on-error fail, the same problem stops the build before the manifest is written', async () => {
  const output = join(tempDir('errors-fail'), 'out');
  await assert.rejects(build(refusing(new DatasetError('x.png', 'cannot be checked')), 'fail', output), /x\.png: cannot be checked/);
  assert.equal(existsSync(join(output, 'manifest.jsonl')), false);
});

test('an error that is not the sample\'s (a checker bug) stops the build even under --on-error skip', async () => {
  const output = join(tempDir('errors-bug'), 'out');
  await assert.rejects(build(refusing(new TypeError('checker bug')), 'skip', output), /checker bug/);
  assert.equal(existsSync(join(output, 'manifest.jsonl')), false);
});

test('the CLI maps each error to its exit code; anything else has none (it escapes with its stack)', () => {
  assert.equal(exitCodeOf(new UsageError('x')), EXIT.usage);
  assert.equal(exitCodeOf(new BuildRequestError('x')), EXIT.usage);
  assert.equal(exitCodeOf(new DatasetError('f', 'x')), EXIT.error);
  assert.equal(exitCodeOf(new QueueError('x')), EXIT.error);
  assert.equal(exitCodeOf(Object.assign(new Error('x'), { code: 'ENOSPC' })), EXIT.error);
  assert.equal(exitCodeOf(new TypeError('x')), undefined);
});
