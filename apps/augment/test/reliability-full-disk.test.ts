// A full disk: the output on a small tmpfs. The build stops with one clear line (no stack), leaves
// nothing partial, and once the tmpfs grows the same command finishes the build, byte-identical to
// a build that never ran out of space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli, datasetFiles, tempDir, tinyCheckpoint, treeHashes } from './pipeline-helpers.ts';
import { assertNothingPartial, sh, unmount, walkFiles } from './reliability-helpers.ts';
import { nightshiftProcess } from './process-helpers.ts';

const PAGE = 4096;

test('a build that does not fit stops with a clear message, leaves nothing partial, and finishes once space is freed', async (t) => {
  const root = tempDir('full-disk');
  const disk = join(root, 'disk');
  mkdirSync(disk);
  const model = await tinyCheckpoint();
  let mounted = false;
  try {
    const input = join(root, 'scenes');
    assert.equal((await cli(['synth', '--output', input, '--count', '6', '--width', '256', '--height', '128', '--no-faults'])).code, 0);
    const args = (output: string): string[] => [
      'night', '--input', input, '--output', output, '--model', model, '--engine', 'tfjs', '--backend', 'wasm', '--batch', '2', '--no-checks',
    ];
    const clean = join(root, 'clean');
    const reference = await cli(args(clean));
    assert.equal(reference.code, 0, reference.stderr);
    // What the whole build takes on a tmpfs: whole pages per file (the COCO images are hard links).
    const inodes = new Set<number>();
    let needed = 0;
    for (const rel of walkFiles(clean)) {
      const s = statSync(join(clean, ...rel.split('/')));
      if (inodes.has(s.ino)) continue;
      inodes.add(s.ino);
      needed += Math.ceil(s.size / PAGE) * PAGE;
    }

    const why = sh('mount', ['-t', 'tmpfs', '-o', `size=${Math.floor(needed * 0.3 / PAGE) * PAGE}`, 'tmpfs', disk]);
    if (why) {
      t.skip(`cannot mount a tmpfs here (${why})`);
      return;
    }
    mounted = true;
    const output = join(disk, 'night');
    const messages: string[] = [];
    // Two stops: early in the build at 30% of the space it needs, later at 80%.
    for (const fraction of [0.3, 0.8]) {
      if (fraction !== 0.3) assert.equal(sh('mount', ['-o', `remount,size=${Math.floor(needed * fraction / PAGE) * PAGE}`, disk]), undefined);
      const child = nightshiftProcess(args(output));
      const { code } = await child.exited;
      const stderr = child.output().split('\n').filter((l) => l.startsWith('nightshift: ') || /^\s+at /.test(l) || /Error/.test(l));
      assert.equal(code, 1, child.output());
      assert.equal(stderr.length, 1, `one message and no stack: ${child.output()}`);
      assert.match(stderr[0], new RegExp(`^nightshift: no space left on device while writing ${output}/\\S+: free space and rerun the same command to resume$`));
      messages.push(stderr[0]);
      const state = await assertNothingPartial(output);
      assert.equal(state.manifest, false, 'no manifest: the folder does not look like a finished build');
      assert.deepEqual(state.temporaries, [], 'a failed write removes its temporary');
    }
    assert.equal(sh('mount', ['-o', `remount,size=${needed * 2}`, disk]), undefined);
    const resumed = await cli(args(output));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /6 samples: [1-6] up to date/);
    assert.deepEqual(treeHashes(output, datasetFiles), treeHashes(clean, datasetFiles));
    assert.deepEqual((await assertNothingPartial(output)).temporaries, []);
    t.diagnostic(`build needs ${needed >> 10} KiB; stops: ${messages.map((m) => m.replace(`${output}/`, '')).join(' | ')}`);
  } finally {
    if (mounted) unmount(disk);
    rmSync(root, { recursive: true, force: true });
    rmSync(join(model, '..'), { recursive: true, force: true });
  }
});
