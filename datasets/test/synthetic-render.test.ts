import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  generateScene, renderScene, renderSceneSync, encodePng, renderFaults, synthesise, sceneLabels, type Box, type RgbImage,
} from '../src/index.ts';

function meanLuminance(img: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < img.data.length; i += 3) sum += 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
  return sum / (img.width * img.height);
}

test('renders are deterministic PNGs of the label size, night darker than day', async () => {
  for (const seed of [0, 5, 99]) {
    const scene = generateScene(seed);
    const day = await renderScene(scene, 'day'), night = await renderScene(scene, 'night');
    assert.equal(day.width, 512);
    assert.equal(day.height, 256);
    assert.equal(night.width, day.width);
    assert.equal(night.height, day.height);
    assert.equal(day.data.length, 512 * 256 * 3);
    const lumDay = meanLuminance(day), lumNight = meanLuminance(night);
    assert.ok(lumNight < lumDay * 0.45, `seed ${seed}: night (${lumNight.toFixed(1)}) much darker than day (${lumDay.toFixed(1)})`);
    assert.ok(lumNight > 3, `seed ${seed}: night is not black (${lumNight.toFixed(1)})`);
    const [a, b] = await Promise.all([encodePng(day), encodePng(renderSceneSync(generateScene(seed), 'day'))]);
    assert.ok(a.equals(b), 'same seed, byte-identical PNG');
    const [n1, n2] = await Promise.all([encodePng(night), encodePng(renderSceneSync(generateScene(seed), 'night'))]);
    assert.ok(n1.equals(n2), 'same seed, byte-identical night PNG (seeded noise)');
    const decoded = await sharp(a).raw().toBuffer({ resolveWithObject: true });
    assert.equal(decoded.info.channels, 3);
    assert.ok(Buffer.from(day.data).equals(decoded.data), 'PNG is lossless');
  }
  const other = await encodePng(renderSceneSync(generateScene(1), 'day'));
  assert.ok(!other.equals(await encodePng(renderSceneSync(generateScene(0), 'day'))), 'different seeds differ');
});

test('renders are aligned with the labels: every object stands out of its surroundings', () => {
  const scene = generateScene(3);
  const day = renderSceneSync(scene, 'day');
  const { instances, width } = sceneLabels(scene);
  // Along every labelled boundary between a car and the road, the day colour changes.
  let boundary = 0, changed = 0;
  for (let i = 0; i + 1 < instances.length; i++) {
    if ((i + 1) % width === 0) continue;
    const a = instances[i], b = instances[i + 1];
    if (a === b || !((a >= 26000 && a < 27000 && b === 7) || (b >= 26000 && b < 27000 && a === 7))) continue;
    boundary++;
    const d = Math.abs(day.data[i * 3] - day.data[i * 3 + 3]) + Math.abs(day.data[i * 3 + 1] - day.data[i * 3 + 4]) + Math.abs(day.data[i * 3 + 2] - day.data[i * 3 + 5]);
    if (d > 0) changed++;
  }
  assert.ok(boundary > 50, `car/road boundaries exist (${boundary})`);
  assert.ok(changed / boundary > 0.9, `the image changes where the label changes (${changed}/${boundary})`);
});

function inBox(x: number, y: number, b: Box, margin: number): boolean {
  return x >= b[0] - margin && x < b[0] + b[2] + margin && y >= b[1] - margin && y < b[1] + b[3] + margin;
}

test('fault renders differ from the clean night render only around the truth box', async () => {
  for (const seed of [0, 1, 2, 3, 4, 5, 6, 7]) {
    const scene = generateScene(seed);
    const clean = renderSceneSync(scene, 'night');
    const faults = await renderFaults(scene);
    assert.ok(faults.erased, `seed ${seed}: an object to erase`);
    const erasedObject = scene.objects.find((o) => o.instanceId === faults.erased!.truth.instanceId);
    assert.ok(erasedObject, 'the erased instance is in the original labels');
    assert.deepEqual(faults.erased!.truth.bbox, erasedObject!.bbox);
    assert.equal(faults.erased!.truth.labelId, erasedObject!.labelId);
    assert.ok(['car', 'person'].includes(faults.added.truth.name));
    assert.equal(faults.added.truth.instanceId, undefined);
    for (const fault of [faults.erased!, faults.added]) {
      const { bbox, extent } = fault.truth;
      const margin = Math.ceil(0.5 * Math.max(bbox[2], bbox[3])) + 4;
      let inside = 0, outsideExtent = 0, outsideDilated = 0;
      for (let y = 0, i = 0; y < scene.height; y++) {
        for (let x = 0; x < scene.width; x++, i++) {
          const o = i * 3;
          const d = clean.data[o] !== fault.image.data[o] || clean.data[o + 1] !== fault.image.data[o + 1] || clean.data[o + 2] !== fault.image.data[o + 2];
          if (!d) continue;
          if (inBox(x, y, bbox, 0)) inside++;
          if (!inBox(x, y, extent, 0)) outsideExtent++;
          if (!inBox(x, y, bbox, margin)) outsideDilated++;
        }
      }
      const label = `seed ${seed} ${fault.truth.kind} ${fault.truth.name}`;
      assert.equal(outsideExtent, 0, `${label}: no change outside the extent`);
      assert.equal(outsideDilated, 0, `${label}: no change outside the dilated box`);
      assert.ok(inside > 0.3 * fault.truth.area, `${label}: the object's pixels change (${inside} of ${fault.truth.area})`);
    }
  }
});

test('synthesise yields complete, reproducible samples', async () => {
  const run = async () => {
    const out = [];
    for await (const s of synthesise({ count: 2, firstSeed: 40 })) out.push(s);
    return out;
  };
  const [a, b] = [await run(), await run()];
  assert.deepEqual(a.map((s) => s.id), ['synthetic_000000_000040', 'synthetic_000000_000041']);
  for (let k = 0; k < 2; k++) {
    assert.ok(a[k].day.equals(b[k].day) && a[k].night.equals(b[k].night));
    assert.equal(a[k].faults.length, 2);
    assert.deepEqual(a[k].faults.map((f) => f.truth.kind), ['erased', 'added']);
    assert.ok(a[k].faults[0].night.equals(b[k].faults[0].night));
    // synthesise re-renders only each fault's extent; the result equals a whole render of the fault scene.
    const whole = await renderFaults(generateScene(40 + k));
    assert.ok(a[k].faults[0].night.equals(await encodePng(whole.erased!.image)), 'erased: patched render = whole render');
    assert.ok(a[k].faults[1].night.equals(await encodePng(whole.added.image)), 'added: patched render = whole render');
    assert.deepEqual(a[k].faults[1].truth, whole.added.truth);
    assert.deepEqual(a[k].labels.instances, sceneLabels(generateScene(40 + k)).instances);
    const meta = await sharp(a[k].night).metadata();
    assert.equal(meta.width, 512);
    assert.equal(meta.height, 256);
  }
  await assert.rejects(async () => { for await (const _ of synthesise({ count: -1 })) void _; }, RangeError);
});

test('PIL decodes the PNGs to the same pixels (outside reference)', async (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import PIL, numpy']);
  if (probe.status !== 0) return t.skip('/usr/bin/python3 with PIL and numpy is not available');
  const dir = mkdtempSync(join(tmpdir(), 'synthetic-'));
  try {
    const scene = generateScene(11);
    const night = renderSceneSync(scene, 'night');
    writeFileSync(join(dir, 'night.png'), await encodePng(night));
    let sum = 0;
    for (const v of night.data) sum += v;
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import sys, numpy as np; from PIL import Image',
      'a = np.asarray(Image.open(sys.argv[1]))',
      'print(a.shape[0], a.shape[1], a.shape[2], int(a.astype(np.int64).sum()), Image.open(sys.argv[1]).mode)',
    ].join('\n'), join(dir, 'night.png')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), `256 512 3 ${sum} RGB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
