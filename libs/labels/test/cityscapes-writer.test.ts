import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseCityscapesPolygons, rasterisePolygons } from '../src/cityscapes/polygons.ts';
import { cityscapesFrame, listCityscapesFrames, readCityscapesSample } from '../src/cityscapes/reader.ts';
import { validateCityscapes } from '../src/cityscapes/validate.ts';
import { copyOrWriteImage, writeCityscapesLabels } from '../src/cityscapes/writer.ts';
import { COLOR_LUT, TRAIN_ID_LUT } from '../src/label-table.ts';
import { readGrey8, readRgb } from '../src/png.ts';
import { REAL_CITYSCAPES, countEqual, needsReal, pilDecode, tempDir } from './helpers/cityscapes.ts';

const dir = tempDir('cs-writer');
after(() => rmSync(dir, { recursive: true, force: true }));

test('real frame → write → read reproduces labelIds, instanceIds and objects bit-exactly', { skip: needsReal }, async () => {
  const [frame] = listCityscapesFrames(REAL_CITYSCAPES);
  const source = await readCityscapesSample(frame);
  const out = join(dir, 'out');
  const written = await writeCityscapesLabels(out, frame, source);
  await copyOrWriteImage(out, frame, frame.imagePath);
  const back = await readCityscapesSample(cityscapesFrame(out, frame));
  assert.deepEqual(back.semantic, source.semantic);
  assert.deepEqual(back.instances, source.instances);
  assert.deepEqual(back.objects, source.objects);
  assert.equal(back.polygonsPath, written.polygons);
  assert.ok(readFileSync(back.imagePath).equals(readFileSync(frame.imagePath)), 'image copied byte for byte');

  // Pillow reads what we wrote as the same integers.
  const [pilLabels, pilInstances] = pilDecode([written.labelIds, written.instanceIds]);
  assert.equal(countEqual(source.semantic, pilLabels.data), source.semantic.length);
  assert.equal(countEqual(source.instances, pilInstances.data), source.instances.length);

  // Derived images follow the label table.
  const trainIds = await readGrey8(written.labelTrainIds!);
  const color = await readRgb(written.color!);
  for (let i = 0; i < source.semantic.length; i += 997) {
    const id = source.semantic[i];
    assert.equal(trainIds.data[i], TRAIN_ID_LUT[id]);
    assert.deepEqual([...color.data.subarray(3 * i, 3 * i + 3)], [...COLOR_LUT.subarray(3 * id, 3 * id + 3)]);
  }
  const polygons = parseCityscapesPolygons(readFileSync(written.polygons!, 'utf8'), written.polygons!);
  const agree = countEqual(rasterisePolygons(polygons).semantic, source.semantic) / source.semantic.length;
  assert.ok(agree >= 0.99, `written polygons rasterise to labelIds at ${agree}`);

  const { problems } = await validateCityscapes(out, { decodeImages: false });
  assert.deepEqual(problems, []);
  assert.deepEqual(readdirSync(join(out, 'gtFine', 'train', 'aachen')).filter((n) => n.includes('.tmp')), []);
});

test('the same labels give the same bytes', async () => {
  const W = 40, H = 20;
  const semantic = new Uint8Array(W * H).fill(23);
  const instances = new Uint16Array(W * H).fill(23);
  for (let i = 300; i < 420; i++) { semantic[i] = 24; instances[i] = 24000 + (i % 3); }
  const ref = { split: 'test', city: 'mainz', id: 'mainz_000000_000001' };
  const a = await writeCityscapesLabels(join(dir, 'a'), ref, { width: W, height: H, semantic, instances });
  const b = await writeCityscapesLabels(join(dir, 'b'), ref, { width: W, height: H, semantic, instances });
  assert.equal(Object.keys(a).length, 5, 'every gtFine kind by default');
  for (const [key, path] of Object.entries(a)) {
    assert.ok(readFileSync(path).equals(readFileSync(b[key as keyof typeof b]!)), key);
  }
  const some = await writeCityscapesLabels(join(dir, 'c'), ref, { width: W, height: H, semantic, instances }, ['labelTrainIds']);
  assert.deepEqual(Object.keys(some).sort(), ['instanceIds', 'labelIds', 'labelTrainIds']);
});

test('refuses labels that would not read back', async () => {
  const ref = { split: 'test', city: 'mainz', id: 'mainz_000000_000002' };
  const semantic = new Uint8Array(4).fill(7);
  await assert.rejects(writeCityscapesLabels(dir, ref, { width: 2, height: 2, semantic, instances: new Uint16Array(3) }), /3 instanceIds values for 2x2/);
  await assert.rejects(
    writeCityscapesLabels(dir, ref, { width: 2, height: 2, semantic: new Uint8Array([7, 7, 7, 99]), instances: new Uint16Array(4).fill(7) }),
    /unknown label ids 99 \(1 pixels\)/,
  );
  await assert.rejects(
    writeCityscapesLabels(dir, ref, { width: 2, height: 2, semantic, instances: new Uint16Array([7, 7, 26000, 7]) }),
    /1 pixels have an instance value whose class differs/,
  );
});
