// Crash safety: the real CLI, SIGKILLed at seeded random moments (while it starts, while it builds
// samples, while it assembles the top-level files), resumed each time. After every kill nothing
// visible in the output is partial; the resumed build is byte-identical to an uninterrupted one and
// leaves no temporaries behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, datasetFiles, tempDir, tinyCheckpoint, treeHashes } from './pipeline-helpers.ts';
import { assertNothingPartial, manifestDifference, seededRandom, walkFiles } from './reliability-helpers.ts';
import { nightshiftProcess } from './process-helpers.ts';

// With the kill of the lock holder in reliability-isolation, 21 over the suite.
const KILLS = 20;
// wasm rather than cpu: the same pipeline at a quarter of the translation time, so that the test
// spends its time on kills and resumes rather than on convolutions.
const BACKEND = 'wasm';

type Phase = 'startup' | 'build' | 'assembly';
/** Starts and builds first (so that many kills land while samples are built), then all three. */
const phaseOf = (k: number): Phase => (k < 11 ? (k % 2 ? 'build' : 'startup') : (['assembly', 'startup', 'build'] as const)[k % 3]);

test(`${KILLS} SIGKILLs at random points, each resumed: nothing partial, and the result equals an uninterrupted build`, async (t) => {
  const root = tempDir('crash');
  const model = await tinyCheckpoint();
  try {
    const input = join(root, 'scenes');
    const synth = await cli(['synth', '--output', input, '--count', '12', '--width', '256', '--height', '128', '--no-faults']);
    assert.equal(synth.code, 0, synth.stderr);
    const args = (output: string): string[] => [
      'night', '--input', input, '--output', output, '--model', model, '--engine', 'tfjs', '--backend', BACKEND, '--batch', '2',
    ];
    const reference = join(root, 'reference');
    const clean = await cli(args(reference));
    assert.equal(clean.code, 0, clean.stderr);
    const expected = treeHashes(reference, datasetFiles);
    assert.equal([...expected.keys()].filter((p) => p.endsWith('_leftImg8bit.png')).length, 24);

    const output = join(root, 'killed');
    const random = seededRandom(8);
    const landed: Record<Phase, number> = { startup: 0, build: 0, assembly: 0 };
    const temporariesSeen = new Set<string>();
    let kills = 0;
    let runs = 0;
    while (kills < KILLS) {
      assert.ok(runs < KILLS * 2, `only ${kills} kills in ${runs} runs`);
      runs++;
      const phase = phaseOf(kills);
      const child = nightshiftProcess(args(output));
      const exited = child.exited;
      const planned = child.waitFor(/(\d+) samples: \d+ up to date, (\d+) to build/);
      let wait: Promise<unknown>;
      if (phase === 'startup') wait = Promise.resolve();
      else if (phase === 'build') wait = planned;
      else wait = planned.then((m) => (m[2] === '0' ? m : child.waitFor(new RegExp(`night: ${m[2]}/${m[2]},`))));
      const after = await wait.then(() => true, () => false);
      planned.catch(() => {});
      const todo = Number((/(\d+) to build/.exec(child.output()) ?? [])[1] ?? 0);
      const spread = phase === 'startup' ? 4000 : phase === 'build' && todo > 0 ? 1200 : 400;
      if (after) await new Promise((r) => setTimeout(r, Math.floor(random() * spread)));
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      const { code, signal } = await exited;
      if (signal !== 'SIGKILL') {
        // It finished before the kill: a complete build (it starts over as a no-op resume next time).
        assert.equal(code, 0, child.output());
        continue;
      }
      kills++;
      const out = child.output();
      const done = /night: 12\/12,|12 samples: 12 up to date/.test(out);
      landed[!/to build/.test(out) ? 'startup' : done || /0 to build/.test(out) ? 'assembly' : 'build']++;
      const state = await assertNothingPartial(output);
      for (const tmp of state.temporaries) temporariesSeen.add(tmp);
    }

    const resumed = nightshiftProcess(args(output));
    const { code } = await resumed.exited;
    assert.equal(code, 0, resumed.output());
    assert.equal(manifestDifference(join(output, 'manifest.jsonl'), join(reference, 'manifest.jsonl')), undefined);
    assert.deepEqual(treeHashes(output, datasetFiles), expected);
    const final = await assertNothingPartial(output);
    assert.deepEqual(final.temporaries, [], 'the resumed run removes the temporaries of killed runs');
    assert.ok(final.manifest);
    assert.deepEqual(walkFiles(output).filter((p) => p.startsWith('.nightshift/') && !p.startsWith('.nightshift/samples/')), ['.nightshift/run.json']);
    t.diagnostic(`${kills} kills in ${runs} runs; landed: ${JSON.stringify(landed)}; temporaries left by kills: ${temporariesSeen.size} (${[...temporariesSeen].slice(0, 4).join(', ')})`);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(model, '..'), { recursive: true, force: true });
  }
});

test('the next run removes the temporaries of dead processes (those of live ones stay), and withdraws the manifest while it changes the dataset', async () => {
  const root = tempDir('temporaries');
  const model = await tinyCheckpoint();
  try {
    const input = join(root, 'scenes');
    assert.equal((await cli(['synth', '--output', input, '--count', '3', '--width', '128', '--height', '64', '--no-faults'])).code, 0);
    const output = join(root, 'night');
    const args = ['night', '--input', input, '--output', output, '--model', model, '--backend', 'wasm', '--no-checks'];
    assert.equal((await cli([...args, '--limit', '2'])).code, 0);
    const deadPid = spawnSync('true').pid!;
    const planted = [
      `.manifest.jsonl.${deadPid}.0123abcd.tmp`,
      `.nightshift/.run.json.${deadPid}.0123abcd.tmp`,
      `.nightshift/.lock.${deadPid}.0123abcd.tmp`,
      `.nightshift/samples/.x.json.${deadPid}.0123abcd.tmp`,
      `cityscapes/leftImg8bit/train/synthetic/.x.png.${deadPid}.0123abcd.tmp`,
      `coco/annotations/.instances_train.json.${deadPid}.0123abcd.tmp`,
    ];
    const live = `.summary.json.1.0123abcd.tmp`; // pid 1 is alive: a writer that may still finish
    for (const rel of [...planted, live]) {
      mkdirSync(join(output, rel, '..'), { recursive: true });
      writeFileSync(join(output, rel), 'partial');
    }
    // A run that changes the dataset withdraws the manifest first: stopped by a bad third image, it
    // leaves no manifest (the folder does not look finished); the run after the fix writes it again.
    const third = join(input, 'leftImg8bit', 'train', 'synthetic', 'synthetic_000000_000002_leftImg8bit.png');
    const bytes = readFileSync(third);
    writeFileSync(third, bytes.subarray(0, 100));
    const stopped = await cli([...args, '--limit', '3', '--on-error', 'fail']);
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.ok(!existsSync(join(output, 'manifest.jsonl')));
    writeFileSync(third, bytes);
    const r = await cli([...args, '--limit', '3']);
    assert.equal(r.code, 0, r.stderr);
    for (const rel of planted) assert.ok(!existsSync(join(output, rel)), `${rel} removed`);
    assert.ok(existsSync(join(output, live)), 'a live process\'s temporary is left alone');
    assert.ok(readdirSync(output).includes('manifest.jsonl'));
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(model, '..'), { recursive: true, force: true });
  }
});
