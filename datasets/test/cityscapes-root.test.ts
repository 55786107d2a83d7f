import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCityscapesFrames, readCityscapesSample, readRgb, validateCityscapes } from '@nightshift/labels';
import {
  faultPaths, generateScene, nightImagePath, renderScene, sceneLabels, writeSyntheticCityscapes,
} from '../src/index.ts';

test('synthetic scenes written as a Cityscapes root validate and read back exactly', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ns-synth-root-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const ids = await writeSyntheticCityscapes(root, { count: 2, firstSeed: 7, width: 256, height: 128, split: 'val' });
  assert.deepEqual(ids, ['synthetic_000000_000007', 'synthetic_000000_000008']);

  const { problems, summary } = await validateCityscapes(root);
  assert.deepEqual(problems, []);
  assert.equal(summary.images, 2);
  assert.equal(summary.withPolygons, 2);

  const frames = listCityscapesFrames(root);
  for (const [k, frame] of frames.entries()) {
    const scene = generateScene(7 + k, { width: 256, height: 128 });
    const labels = sceneLabels(scene);
    const sample = await readCityscapesSample(frame);
    assert.deepEqual(sample.semantic, labels.semantic);
    assert.deepEqual(sample.instances, labels.instances);
    assert.deepEqual(sample.objects.map((o) => [o.instanceId, o.pixelCount]), scene.objects.map((o) => [o.instanceId, o.area]).sort((a, b) => a[0] - b[0]));

    const night = await readRgb(nightImagePath(root, frame));
    assert.deepEqual(night.data, (await renderScene(scene, 'night')).data);
    const day = await readRgb(frame.imagePath);
    assert.deepEqual(day.data, (await renderScene(scene, 'day')).data);

    const truth = JSON.parse(readFileSync(faultPaths(root, frame), 'utf8'));
    assert.equal(truth.id, frame.id);
    for (const fault of truth.faults) {
      const image = await readRgb(faultPaths(root, frame, fault.kind));
      let differing = 0;
      for (let i = 0; i < image.data.length; i++) differing += image.data[i] !== night.data[i] ? 1 : 0;
      assert.ok(differing > 0, `${frame.id} ${fault.kind}: the fault render differs from the clean night render`);
    }
  }
});
