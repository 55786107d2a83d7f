// Paired mode end to end: `nightshift train --mode pix2pix` on aligned pairs, then its checkpoint is a
// --model like any other for `nightshift night`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { listCityscapesFrames } from '@nightshift/labels';
import { nightImagePath } from '@nightshift/datasets';
import { cli, SAMPLE, tempDir } from './pipeline-helpers.ts';

test('train --mode pix2pix on aligned pairs, then night with that checkpoint', async () => {
  const pairs = tempDir('pairs');
  for (const side of ['A', 'B']) mkdirSync(join(pairs, side));
  for (const frame of listCityscapesFrames(SAMPLE).slice(0, 3)) {
    const crop = { left: 128, top: 64, width: 128, height: 128 };
    await sharp(frame.imagePath).extract(crop).resize(64, 64).png().toFile(join(pairs, 'A', `${frame.id}.png`));
    await sharp(nightImagePath(SAMPLE, frame)).extract(crop).resize(64, 64).png().toFile(join(pairs, 'B', `${frame.id}.png`));
  }
  const run = join(tempDir('p2p'), 'run');
  let r = await cli(['train', '--mode', 'pix2pix', '--pairs', pairs, '--out', run, '--backend', 'cpu',
    '--ngf', '4', '--num-downs', '5', '--ndf', '8', '--load-size', '64', '--crop-size', '64', '--max-iterations', '2', '--log-every', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Trained to iteration 2/);
  const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8'));
  const checkpoint = join(run, 'checkpoints', latest.checkpoint);
  assert.equal(JSON.parse(readFileSync(join(checkpoint, 'config.json'), 'utf8')).mode, 'pix2pix');

  const out = join(tempDir('p2p-night'), 'night');
  r = await cli(['night', '--input', SAMPLE, '--model', checkpoint, '--limit', '1', '--output', out, '--no-checks']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /a pix2pix U-Net generator runs on the tfjs engine/);
  const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n');
  assert.equal(manifest.length, 1);
});

test('train refuses mixed-up inputs with what to pass instead', async () => {
  let r = await cli(['train', '--mode', 'pix2pix', '--a', 'x', '--b', 'y', '--out', join(tempDir('bad'), 'run')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--mode pix2pix trains on --pairs <dir>/);
  r = await cli(['train', '--pairs', 'x', '--out', join(tempDir('bad'), 'run')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--mode cyclegan trains on --a <dir> and --b <dir>/);
});
