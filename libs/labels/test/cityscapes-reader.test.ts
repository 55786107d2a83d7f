import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { cityscapesImagePath, cityscapesLabelPath, type FrameRef } from '../src/cityscapes/naming.ts';
import { objectsFromInstanceIds } from '../src/cityscapes/objects.ts';
import { cityscapesFrame, listCityscapesFrames, readCityscapes, readCityscapesSample } from '../src/cityscapes/reader.ts';
import { DatasetError } from '../src/errors.ts';
import { writeGrey16, writeGrey8, writeRgb } from '../src/png.ts';
import { REAL_CITYSCAPES, REAL_FRAMES, needsReal, realLabelPath, runPythonCode, tempDir } from './helpers/cityscapes.ts';

const dir = tempDir('cs-reader');
after(() => rmSync(dir, { recursive: true, force: true }));

test('lists the real frames, sorted, with their paths', { skip: needsReal }, () => {
  const frames = listCityscapesFrames(REAL_CITYSCAPES);
  assert.deepEqual(frames.map((f) => f.id), REAL_FRAMES);
  assert.equal(frames[0].labelIdsPath, realLabelPath(REAL_FRAMES[0], 'labelIds'));
  assert.deepEqual(listCityscapesFrames(REAL_CITYSCAPES, { split: 'train' }).length, 3);
  assert.throws(() => listCityscapesFrames(REAL_CITYSCAPES, { split: 'val' }), /split 'val' not found; present: train/);
  assert.throws(() => listCityscapesFrames(dir), /not a Cityscapes root: no leftImg8bit\/ folder/);
});

test('streams the real samples; objects equal an independent numpy computation', { skip: needsReal }, async () => {
  // Per object value: [value, pixel count, x, y, w, h], from numpy.
  const expected = JSON.parse(runPythonCode(
    `import sys, json, numpy as np
from PIL import Image
HAS_INSTANCES = set(range(24, 34))
out = []
for path in sys.argv[1:]:
    a = np.array(Image.open(path))
    rows = []
    for v in np.unique(a):
        v = int(v)
        if v < 1000 and v not in HAS_INSTANCES:
            continue
        ys, xs = np.nonzero(a == v)
        rows.append([v, int(len(xs)), int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)])
    out.append(rows)
print(json.dumps(out))`,
    REAL_FRAMES.map((id) => realLabelPath(id, 'instanceIds')),
  )) as number[][][];
  let i = 0;
  for await (const sample of readCityscapes(REAL_CITYSCAPES)) {
    assert.equal(sample.format, 'cityscapes');
    assert.equal(sample.id, REAL_FRAMES[i]);
    assert.deepEqual([sample.width, sample.height, sample.split, sample.city], [2048, 1024, 'train', 'aachen']);
    assert.equal(sample.polygonsPath, undefined);
    assert.deepEqual(
      sample.objects.map((o) => [o.instanceId, o.pixelCount, ...o.bbox]),
      expected[i],
      `objects of ${sample.id}`,
    );
    for (const o of sample.objects) {
      assert.equal(o.area, o.pixelCount);
      assert.equal(o.iscrowd, o.instanceId < 1000);
      assert.equal(o.labelId, o.instanceId < 1000 ? o.instanceId : Math.floor(o.instanceId / 1000));
    }
    assert.ok(sample.objects.some((o) => o.name === 'car' && !o.iscrowd));
    i++;
  }
  assert.equal(i, 3);
});

test('objectsFromInstanceIds: instances, groups, stuff', () => {
  const width = 4;
  const ids = new Uint16Array([7, 7, 26000, 26000, 7, 24, 24, 26000, 11, 11, 26001, 11]);
  assert.deepEqual(objectsFromInstanceIds(ids, width), [
    { instanceId: 24, labelId: 24, name: 'person', bbox: [1, 1, 2, 1], area: 2, pixelCount: 2, iscrowd: true },
    { instanceId: 26000, labelId: 26, name: 'car', bbox: [2, 0, 2, 2], area: 3, pixelCount: 3, iscrowd: false },
    { instanceId: 26001, labelId: 26, name: 'car', bbox: [2, 2, 1, 1], area: 1, pixelCount: 1, iscrowd: false },
  ]);
  assert.throws(() => objectsFromInstanceIds(new Uint16Array([40000]), 1), /label id 40/);
});

// A small valid frame: road, a car 26000 and a car group, 64x32.
const W = 64, H = 32;
function frameLabels(): { semantic: Uint8Array; instances: Uint16Array } {
  const semantic = new Uint8Array(W * H).fill(7);
  const instances = new Uint16Array(W * H).fill(7);
  for (let y = 5; y < 15; y++) for (let x = 10; x < 30; x++) { semantic[y * W + x] = 26; instances[y * W + x] = 26000; }
  for (let y = 20; y < 25; y++) for (let x = 40; x < 50; x++) { semantic[y * W + x] = 26; instances[y * W + x] = 26; }
  return { semantic, instances };
}

async function makeFrame(root: string, ref: FrameRef): Promise<void> {
  const { semantic, instances } = frameLabels();
  mkdirSync(dirname(cityscapesImagePath(root, ref)), { recursive: true });
  mkdirSync(dirname(cityscapesLabelPath(root, ref, 'labelIds')), { recursive: true });
  await writeRgb(cityscapesImagePath(root, ref), { width: W, height: H, data: new Uint8Array(W * H * 3).fill(90) });
  await writeGrey8(cityscapesLabelPath(root, ref, 'labelIds'), { width: W, height: H, data: semantic });
  await writeGrey16(cityscapesLabelPath(root, ref, 'instanceIds'), { width: W, height: H, data: instances });
}

async function expectProblem(root: string, ref: FrameRef, file: string, reason: RegExp, pointer?: string): Promise<void> {
  await assert.rejects(readCityscapesSample(cityscapesFrame(root, ref)), (err: unknown) => {
    assert.ok(err instanceof DatasetError, String(err));
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(file), err.message);
    assert.match(err.reason, reason);
    if (pointer !== undefined) assert.equal(err.pointer, pointer);
    return true;
  });
}

test('a valid synthetic frame reads back', async () => {
  const root = join(dir, 'valid');
  const ref = { split: 'val', city: 'bonn', id: 'bonn_000001_000002' };
  await makeFrame(root, ref);
  const sample = await readCityscapesSample(cityscapesFrame(root, ref));
  assert.deepEqual(sample.semantic, frameLabels().semantic);
  assert.deepEqual(sample.objects.map((o) => [o.instanceId, o.iscrowd, o.pixelCount]), [[26, true, 50], [26000, false, 200]]);
});

test('bad input: each error names the file and the problem', async (t) => {
  const root = join(dir, 'bad');
  const ref = (n: number) => ({ split: 'train', city: 'ulm', id: `ulm_000000_00000${n}` });
  const labelPath = (n: number, kind: 'labelIds' | 'instanceIds' | 'polygons') => cityscapesLabelPath(root, ref(n), kind);

  await t.test('truncated PNG', async () => {
    await makeFrame(root, ref(1));
    const bytes = readFileSync(labelPath(1, 'labelIds'));
    writeFileSync(labelPath(1, 'labelIds'), bytes.subarray(0, bytes.length - 30));
    await expectProblem(root, ref(1), labelPath(1, 'labelIds'), /^cannot decode PNG: \S/);
  });
  await t.test('label and image sizes differ', async () => {
    await makeFrame(root, ref(2));
    await writeGrey8(labelPath(2, 'labelIds'), { width: 32, height: 16, data: new Uint8Array(32 * 16).fill(7) });
    await expectProblem(root, ref(2), labelPath(2, 'labelIds'), /^size 32x16 differs from the image's 64x32/);
  });
  await t.test('unknown label id', async () => {
    await makeFrame(root, ref(3));
    const semantic = frameLabels().semantic;
    semantic.fill(40, 0, 5);
    semantic.fill(200, 100, 102);
    await writeGrey8(labelPath(3, 'labelIds'), { width: W, height: H, data: semantic });
    await expectProblem(root, ref(3), labelPath(3, 'labelIds'), /^unknown label ids 40 \(5 pixels\), 200 \(2 pixels\)/);
  });
  await t.test('8-bit instanceIds', async () => {
    await makeFrame(root, ref(4));
    await writeGrey8(labelPath(4, 'instanceIds'), { width: W, height: H, data: frameLabels().semantic });
    await expectProblem(root, ref(4), labelPath(4, 'instanceIds'), /instanceIds must be a 16-bit single-channel PNG/);
  });
  await t.test('instance class disagrees with labelIds', async () => {
    await makeFrame(root, ref(5));
    const { instances } = frameLabels();
    instances.fill(24001, 0, 7); // persons over road
    await writeGrey16(labelPath(5, 'instanceIds'), { width: W, height: H, data: instances });
    await expectProblem(root, ref(5), labelPath(5, 'instanceIds'), /^7 pixels have an instance value whose class differs from labelIds \(first at x=0 y=0: instanceIds 24001, labelIds 7\)/);
  });
  await t.test('polygons json failing the schema', async () => {
    await makeFrame(root, ref(6));
    writeFileSync(labelPath(6, 'polygons'), JSON.stringify({ imgHeight: H, imgWidth: W, objects: [{ label: 'car', polygon: [[1, 2], [3]] }] }));
    await expectProblem(root, ref(6), labelPath(6, 'polygons'), /must NOT have fewer than 2 items/, '/objects/0/polygon/1');
  });
  await t.test('polygons json of another size', async () => {
    await makeFrame(root, ref(7));
    writeFileSync(labelPath(7, 'polygons'), JSON.stringify({ imgHeight: H, imgWidth: 2048, objects: [] }));
    await expectProblem(root, ref(7), labelPath(7, 'polygons'), /size 2048x32 differs from the image's 64x32/, '/imgWidth');
  });
  await t.test('missing instanceIds', async () => {
    await makeFrame(root, ref(8));
    unlinkSync(labelPath(8, 'instanceIds'));
    await expectProblem(root, ref(8), labelPath(8, 'instanceIds'), /^missing instanceIds of frame ulm_000000_000008/);
  });
  await t.test('bad file name', () => {
    const bad = join(root, 'leftImg8bit', 'train', 'ulm', 'ulm_0_1_leftImg8bit.png');
    writeFileSync(bad, readFileSync(cityscapesImagePath(root, ref(1))));
    assert.throws(() => listCityscapesFrames(root), (err: unknown) => {
      assert.ok(err instanceof DatasetError);
      assert.equal(err.file, bad);
      assert.match(err.reason, /file name 'ulm_0_1_leftImg8bit.png' is not <city>_<seq:6 digits>_<frame:6 digits>/);
      return true;
    });
    unlinkSync(bad);
  });
});
