// Real data. Cityscapes frames (2048x1024) through `nightshift night` with a tiny untrained generator:
// translated at full resolution and checked; gtFine copied bit-exact except the recorded ignore
// regions of flagged objects; COCO masks equal to the instanceIds, and each ignore region (a flagged
// hallucination box) equal to its box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { annotationMask, cityscapesFrame, listCityscapesFrames, readCocoDataset, readGrey16, readGrey8, readPngHeader, readRgb } from '@nightshift/labels';
import { cli, tempDir, tinyCheckpoint } from '../apps/augment/test/pipeline-helpers.ts';

const REAL = fileURLToPath(new URL('../../shared/data/real/cityscapes', import.meta.url));
const REAL_COCO = fileURLToPath(new URL('../../shared/data/real/coco/annotations/instances_train2017.json', import.meta.url));

test('real Cityscapes frames: full resolution, checked, gtFine bit-identical apart from recorded ignore regions, COCO masks = instanceIds', { skip: existsSync(REAL) ? false : `${REAL} is absent` }, async (t) => {
  const model = await tinyCheckpoint(1);
  const output = join(tempDir('real'), 'night');
  const r = await cli(['night', '--input', REAL, '--model', model, '--output', output, '--backend', 'wasm', '--batch', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /checks: erasure and hallucination checks/);
  const frames = listCityscapesFrames(REAL);
  assert.equal(frames.length, 3);
  const manifest = readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ds = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_train.json'));
  for (const [k, frame] of frames.entries()) {
    const out = cityscapesFrame(join(output, 'cityscapes'), frame);
    const header = readPngHeader(out.imagePath);
    assert.deepEqual([header.width, header.height], [2048, 1024]);
    assert.ok(!existsSync(out.colorPath), 'no gtFine file is invented');
    const record = manifest.find((m) => m.id === frame.id);
    const flags: { instanceId?: number; box?: number[] }[] = record.flags;
    t.diagnostic(`${frame.id}: ${flags.length} flags (an untrained generator erases most objects)`);
    const semantic = (await readGrey8(frame.labelIdsPath)).data;
    const instances = (await readGrey16(frame.instanceIdsPath)).data;
    if (flags.length === 0) {
      assert.ok(readFileSync(out.labelIdsPath).equals(readFileSync(frame.labelIdsPath)));
      assert.ok(readFileSync(out.instanceIdsPath).equals(readFileSync(frame.instanceIdsPath)));
    } else {
      // Every changed label pixel lies in a recorded flag's region and became ignore (0); every other pixel is unchanged.
      const region = new Uint8Array(semantic.length);
      for (const f of flags) {
        if (f.instanceId !== undefined) {
          for (let i = 0; i < instances.length; i++) if (instances[i] === f.instanceId) region[i] = 1;
        } else if (f.box) {
          const [bx, by, bw, bh] = f.box;
          for (let y = Math.floor(by); y < Math.ceil(by + bh); y++) {
            for (let x = Math.floor(bx); x < Math.ceil(bx + bw); x++) if (instances[y * 2048 + x] < 1000) region[y * 2048 + x] = 1;
          }
        }
      }
      const outSemantic = (await readGrey8(out.labelIdsPath)).data;
      const outInstances = (await readGrey16(out.instanceIdsPath)).data;
      let changed = 0;
      for (let i = 0; i < semantic.length; i++) {
        if (region[i]) {
          if (outSemantic[i] !== 0 || outInstances[i] !== 0) assert.fail(`${frame.id}: pixel ${i} in a flagged region is not ignore`);
          changed += semantic[i] !== 0 ? 1 : 0;
        } else if (outSemantic[i] !== semantic[i] || outInstances[i] !== instances[i]) {
          assert.fail(`${frame.id}: pixel ${i} outside every flagged region changed`);
        }
      }
      const recorded = record.actions.reduce((n: number, a: { pixels?: number }) => n + (a.pixels ?? 0), 0);
      assert.equal(recorded, changed, 'the manifest records every changed pixel');
    }
    const anns = ds.annotations.filter((a) => a.image_id === k + 1);
    assert.ok(anns.length > 0);
    for (const a of anns) {
      const mask = annotationMask(a, 1024, 2048);
      const regionOf = (a as { nightshift?: { flags?: { instanceId?: number; box?: number[] }[] } }).nightshift?.flags?.[0];
      if (regionOf?.box && regionOf.instanceId === undefined) {
        // An ignore region (a flagged hallucination box): an iscrowd RLE of exactly the box's pixels.
        assert.deepEqual([a.iscrowd, (a as { ignore?: number }).ignore], [1, 1], `annotation ${a.id}`);
        const [bx, by, bw, bh] = regionOf.box;
        let differ = 0;
        for (let y = 0; y < 1024; y++) {
          for (let x = 0; x < 2048; x++) {
            const inBox = x >= Math.floor(bx) && x < Math.ceil(bx + bw) && y >= Math.floor(by) && y < Math.ceil(by + bh);
            if (mask[y * 2048 + x] !== (inBox ? 1 : 0)) differ++;
          }
        }
        assert.equal(differ, 0, `ignore region ${a.id}`);
        continue;
      }
      const value = instances[mask.indexOf(1)];
      let differ = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] !== (instances[i] === value ? 1 : 0)) differ++;
      assert.equal(differ, 0, `annotation ${a.id}`);
    }
  }
});

test('real COCO (JPEG, 640x360): translated to a PNG of the same size, polygons carried over unchanged', { skip: existsSync(REAL_COCO) ? false : `${REAL_COCO} is absent` }, async () => {
  const model = await tinyCheckpoint(1);
  const output = join(tempDir('real-coco'), 'night');
  const r = await cli(['night', '--input', REAL_COCO, '--model', model, '--output', output, '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const src = await readCocoDataset(REAL_COCO);
  const out = await readCocoDataset(join(output, 'coco', 'annotations', 'instances_train2017.json'));
  assert.equal(out.images.length, src.images.length);
  for (const [k, image] of out.images.entries()) {
    assert.equal(image.file_name, src.images[k].file_name.replace(/\.jpg$/, '.png'));
    const png = await readRgb(join(output, 'coco', 'images', 'train2017', image.file_name));
    assert.deepEqual([png.width, png.height], [src.images[k].width, src.images[k].height]);
    const srcAnns = src.annotations.filter((a) => a.image_id === src.images[k].id);
    const outAnns = out.annotations.filter((a) => a.image_id === image.id);
    assert.deepEqual(outAnns.map((a) => a.segmentation), srcAnns.map((a) => a.segmentation));
  }
});
