// `nightshift import-model` as a user runs it, and the build's records of which weights were used:
// a night build from the imported folder and one from the .pth itself record the same weights hash
// and the .pth's sha256 in every manifest line and in summary.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.ts';
import { cli, SAMPLE, sha256, tempDir } from './pipeline-helpers.ts';

const PTH = join(REPO, 'libs', 'cyclegan', 'test', 'fixtures', 'pth');

function records(output: string): { manifest: Array<{ model: { hash: string; source?: string } }>; summary: { model: { hash: string; source?: string } } } {
  return {
    manifest: readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)),
    summary: JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8')),
  };
}

test('import-model writes a folder that night takes; the manifest records the .pth sha256', async () => {
  const source = join(PTH, 'resnet9_dataparallel.pth');
  const folder = join(tempDir('import'), 'resnet9');
  let r = await cli(['import-model', source, '--out', folder]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Imported ResnetGenerator resnet_9blocks \(inputNc 3, outputNc 3, ngf 2, nBlocks 9\)/);
  assert.match(r.stdout, /state_dict under "state_dict", "module\." prefix stripped/);
  const pthSha = sha256(readFileSync(source));
  assert.match(r.stdout, new RegExp(`sha256 ${pthSha}`));

  const common = ['--input', SAMPLE, '--limit', '1', '--no-checks', '--engine', 'tfjs', '--backend', 'cpu'];
  const fromFolder = join(tempDir('night-imported'), 'night');
  r = await cli(['night', ...common, '--model', folder, '--output', fromFolder]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`from resnet9_dataparallel\\.pth \\(sha256 ${pthSha.slice(0, 16)}`));
  const fromPth = join(tempDir('night-pth'), 'night');
  r = await cli(['night', ...common, '--model', source, '--output', fromPth]);
  assert.equal(r.code, 0, r.stderr);

  const a = records(fromFolder);
  const b = records(fromPth);
  for (const { manifest, summary } of [a, b]) {
    assert.equal(manifest.length, 1);
    assert.equal(manifest[0].model.source, pthSha);
    assert.equal(summary.model.source, pthSha);
  }
  assert.equal(a.manifest[0].model.hash, b.manifest[0].model.hash, 'the same weights');
});

test('import-model refuses what is not a generator, and a bad --arch, writing nothing', async () => {
  const out = join(tempDir('import-bad'), 'x');
  let r = await cli(['import-model', join(PTH, 'classifier.pth'), '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^nightshift: .*classifier\.pth: not a generator this reader knows/);
  r = await cli(['import-model', join(PTH, 'malicious_os_system.pth'), '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^nightshift: .*malicious_os_system\.pth: refusing to load: the pickle calls posix\.system/);
  r = await cli(['import-model', join(PTH, 'resnet9.pth'), '--out', out, '--arch', 'resnet_6blocks']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing tensors model\.16\.weight \[8, 4, 3, 3\].*; unexpected tensors model\.16\.conv_block\.1\.weight \[8, 8, 3, 3\]/);
  assert.equal(existsSync(out), false);
});

test('night --arch overrides the architecture of a bare .pth; a mismatch is named, and a folder refuses --arch', async () => {
  const out = join(tempDir('night-arch'), 'night');
  let r = await cli(['night', '--input', SAMPLE, '--limit', '1', '--no-checks', '--model', join(PTH, 'resnet9.pth'), '--arch', 'resnet_6blocks', '--output', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /resnet9\.pth: missing tensors model\.16\.weight \[8, 4, 3, 3\].*requested with --arch resnet_6blocks/);
  r = await cli(['night', '--input', SAMPLE, '--limit', '1', '--no-checks', '--model', PTH, '--arch', 'unet_256', '--output', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--arch unet_256 applies to bare weight files/);
});
