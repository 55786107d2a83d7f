// Queued builds on a real redis-server: a coordinator and worker processes build exactly the bytes of a
// local run (and of --shard runs merged); Redis restarted without its data or frozen, workers
// SIGKILLed mid-unit and a coordinator killed and restarted do not change the bytes, and the lost
// attempts are recorded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, datasetFiles, tempDir, tinyCheckpoint, treeHashes } from './pipeline-helpers.ts';
import { redisMissing, sleep, startRedis, stopProcess, type Redis } from './queue-helpers.ts';
import { nightshiftProcess, type Proc } from './process-helpers.ts';

describe('queued builds', { skip: redisMissing }, () => {
  let root: string;
  let model: string;
  let common: string[];
  let expected: Map<string, string>;
  let redis: Redis;
  const procs: Proc[] = [];
  const worker = (name: string, extra: string[] = []): Proc => {
    const p = nightshiftProcess(['worker', '--queue', redis.url, '--name', name, ...extra]);
    procs.push(p);
    return p;
  };
  /** The manifest line by line first (a readable difference), then every dataset file. */
  const assertSameAsLocal = (out: string): void => {
    const lines = (dir: string): string[] => readFileSync(join(dir, 'manifest.jsonl'), 'utf8').split('\n');
    const want = lines(join(root, 'local'));
    const got = lines(out);
    const k = want.findIndex((line, i) => line !== got[i]);
    assert.equal(k, -1, `manifest line ${k + 1} differs:\n${got[k]}\nlocal run:\n${want[k]}`);
    assert.deepEqual(treeHashes(out, datasetFiles), expected);
  };
  const coordinator = (output: string, extra: string[]): Proc => {
    const p = nightshiftProcess(['night', ...common, '--output', output, '--queue', redis.url, ...extra]);
    procs.push(p);
    return p;
  };

  /** Polls until the condition holds; fails with the message after two minutes. */
  const until = async (condition: () => boolean, message: () => string): Promise<void> => {
    for (const deadline = Date.now() + 120_000; !condition(); await sleep(50)) assert.ok(Date.now() < deadline, message());
  };

  before(async () => {
    root = tempDir('queue');
    model = await tinyCheckpoint(4);
    const synth = await cli(['synth', '--output', join(root, 'synth'), '--count', '200', '--width', '64', '--height', '32', '--no-faults']);
    assert.equal(synth.code, 0, synth.stderr);
    common = ['--input', join(root, 'synth'), '--model', model, '--engine', 'tfjs', '--backend', 'wasm'];
    const local = await cli(['night', ...common, '--output', join(root, 'local')]);
    assert.equal(local.code, 0, local.stderr);
    expected = treeHashes(join(root, 'local'), datasetFiles);
    assert.ok(expected.size > 1000);
    redis = await startRedis();
  });

  after(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
    if (model) rmSync(dirname(model), { recursive: true, force: true });
  });

  test('a coordinator and 3 workers build the bytes of a local run; workers stop cleanly on SIGTERM', async () => {
    const workers = ['a', 'b', 'c'].map((n) => worker(`eq-${n}`));
    await Promise.all(workers.map((w) => w.waitFor(/waiting for units/)));
    const out = join(root, 'queued');
    const c = await cli(['night', ...common, '--output', out, '--queue', redis.url, '--unit-size', '8']);
    assert.equal(c.code, 0, c.stderr);
    assertSameAsLocal(out);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.samples.built, 200);
    assert.equal(summary.queue.units.done, 25);
    assert.equal(summary.queue.retries, 0);
    assert.equal(summary.queue.workers.reduce((t: number, w: { samples: number }) => t + w.samples, 0), 200);
    assert.ok(summary.queue.workers.length >= 2, JSON.stringify(summary.queue.workers));
    assert.equal(readFileSync(join(out, 'queue.jsonl'), 'utf8').trim().split('\n').length, 25);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /Queue workers/);
    for (const w of workers) {
      w.child.kill('SIGTERM');
      assert.equal((await w.exited).code, 0, w.output());
      assert.match(w.output(), /SIGTERM: finishing the unit in hand[\s\S]*stopped/);
    }
  });

  test('--shard i/3 builds merged equal the local run', async () => {
    const dirs = [0, 1, 2].map((i) => join(root, `shard-${i}`));
    for (let i = 0; i < 3; i++) {
      const r = await cli(['night', ...common, '--output', dirs[i], '--shard', `${i}/3`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const m = await cli(['merge', '--output', join(root, 'merged'), ...dirs]);
    assert.equal(m.code, 0, m.stderr);
    assertSameAsLocal(join(root, 'merged'));
  });

  test('Redis restarted (with and without workers) and frozen, killed workers, a killed coordinator: same bytes, lost attempts recorded', async () => {
    const workerOptions = ['--lock-ms', '1500', '--stall-check-ms', '500', '--max-stalls', '20'];
    const out = join(root, 'faults');
    const args = ['--unit-size', '4', '--queue-timeout', '4'];

    // No workers yet, so what the coordinators see does not depend on how fast the machine is.
    const first = coordinator(out, args);
    await first.waitFor(/50 enqueued, 0 already queued/);
    // Redis restarted without its data: the coordinator enqueues the vanished units again.
    await redis.restart();
    const reenqueued = (p: Proc): number => (p.output().match(/vanished from Redis; enqueued again/g) ?? []).length;
    await until(() => reenqueued(first) === 50, () => `the coordinator enqueued ${reenqueued(first)} of 50 vanished units again:\n${first.output().slice(-1500)}`);
    // Redis unresponsive for longer than --queue-timeout: the coordinator stops and says why, and
    // there is no manifest that could pass for a finished build.
    redis.proc.child.kill('SIGSTOP');
    const stopped = await first.exited;
    redis.proc.child.kill('SIGCONT');
    assert.equal(stopped.code, 1, first.output());
    assert.match(first.output(), /Redis at redis:\/\/127\.0\.0\.1:\d+\/0 did not answer for 4 s .*rerun the same command to resume/);
    assert.equal(existsSync(join(out, 'manifest.jsonl')), false);
    const second = coordinator(out, args);
    await second.waitFor(/0 enqueued, 50 already queued/);

    // Redis restarted without its data while workers run: they reconnect and go on, and the coordinator
    // enqueues the units that vanished again (finished ones are up to date, so cheap). Units that
    // finished and vanished before a coordinator saw them finish keep a line that says so.
    const restarted = ['r-0', 'r-1'].map((n) => worker(n, workerOptions));
    const unitsDone = (): number => restarted.reduce((n, w) => n + (w.output().match(/ done: /g) ?? []).length, 0);
    await until(() => unitsDone() >= 2, () => `no units done:\n${restarted.map((w) => w.output().slice(-1500)).join('\n')}`);
    const doneBeforeRestart = unitsDone();
    await redis.restart();
    await second.waitFor(/vanished from Redis; enqueued again/);
    await until(() => unitsDone() >= doneBeforeRestart + 2, () => `the workers finished no units after Redis restarted:\n${restarted.map((w) => w.output().slice(-1500)).join('\n')}`);
    for (const w of restarted) w.child.kill('SIGTERM');
    for (const w of restarted) assert.equal((await w.exited).code, 0, w.output());

    // One worker at a time, SIGKILLed inside a unit: each kill leaves a unit whose lock expires and
    // goes to the next worker.
    let kills = 0;
    for (let k = 0; k < 6; k++) {
      const w = worker(`killed-${k}`, workerOptions);
      await w.waitFor(/ started \(/);
      await sleep(50 + Math.random() * 150);
      w.child.kill('SIGKILL');
      await w.exited;
      kills++;
    }

    // Workers that stay, through a brief Redis freeze (shorter than every timeout: locks may expire
    // and units run twice, with the same bytes); the coordinator is killed once some units are done,
    // and its successor waits for the queued units instead of enqueuing them again.
    const workers = ['f-0', 'f-1'].map((n) => worker(n, workerOptions));
    await workers[0].waitFor(/ done: /);
    redis.proc.child.kill('SIGSTOP');
    await sleep(1500);
    redis.proc.child.kill('SIGCONT');
    await workers[0].waitFor(/ done: [\s\S]* done: /);
    second.child.kill('SIGKILL');
    await second.exited;
    const third = coordinator(out, args);
    const resumed = await third.waitFor(/(\d+) enqueued, (\d+) already queued/);
    assert.equal(resumed[1], '0', 'the restarted coordinator enqueued nothing again');
    const { code } = await third.exited;
    assert.equal(code, 0, third.output());

    assertSameAsLocal(out);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const log = readFileSync(join(out, 'queue.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const lost = log.flatMap((u) => u.attempts).filter((a: { outcome: string }) => a.outcome === 'lost').length;
    // One line per unit: its attempts, or, for units that finished and vanished with the Redis restart
    // before any coordinator saw them finish, a record that says so.
    assert.equal(log.length, 50);
    assert.equal(summary.queue.recordsLost, log.filter((u: { recordsLost?: boolean }) => u.recordsLost).length);
    assert.ok(lost >= 5, `${lost} lost attempts recorded for ${kills} kills`);
    assert.equal(summary.queue.lost, lost);
    assert.ok(summary.queue.retries >= lost);
    assert.ok(summary.queue.workers.filter((w: { id: string; failures: number }) => w.id.startsWith('killed-') && w.failures > 0).length >= 5);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), new RegExp(`${summary.queue.retries} retries`));
  });

  test('usage errors: --queue with --shard, a URL that is not redis://', async () => {
    const both = await cli(['night', ...common, '--output', join(root, 'x'), '--queue', redis.url, '--shard', '0/2']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--queue and --shard do not go together/);
    const bad = await cli(['worker', '--queue', 'http://localhost:6379']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /only redis:\/\/ URLs/);
  });
});
