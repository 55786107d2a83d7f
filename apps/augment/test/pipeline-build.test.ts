// End to end on the embedded sample: both output formats, labels bit-exact, COCO masks equal to the
// source labels, translated pixels equal to the generator's, then reruns: nothing to do, one changed
// input, and a simulated crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  annotationMask, cityscapesFrame, listCityscapesFrames, readCocoDataset, readGrey16, readRgb, validateCocoDataset,
} from '@nightshift/labels';
import { loadGenerator } from '@nightshift/cyclegan';
import { TfjsTranslator } from '@nightshift/cyclegan';
import { cli, copySample, datasetFiles, sha256, tempDir, tinyCheckpoint, treeHashes } from './pipeline-helpers.ts';

const model = await tinyCheckpoint();
const input = copySample(join(tempDir('input'), 'sample'));
const output = join(tempDir('out'), 'night');
const args = ['night', '--input', input, '--model', model, '--output', output, '--limit', '3', '--backend', 'wasm', '--batch', '2', '--no-checks'];
const frames = listCityscapesFrames(input).slice(0, 3);

test('night on 3 samples writes Cityscapes and COCO, a manifest, a summary and a report', async () => {
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 samples: 0 up to date, 3 to build/);
  assert.match(r.stdout, /checks: off \(--no-checks\)/);
  for (const f of ['manifest.jsonl', 'summary.json', 'timings.jsonl', 'report.html', 'coco/annotations/instances_val.json']) {
    assert.ok(existsSync(join(output, f)), f);
  }
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  assert.equal(summary.engine.name, 'tfjs');
  assert.equal(summary.engine.backend, 'wasm');
  assert.match(summary.checks, /^off/);
  assert.deepEqual([summary.samples.built, summary.samples.written, summary.samples.failed], [3, 3, 0]);
  assert.ok(summary.stages.translate.seconds > 0);
});

test('gtFine files are copied byte for byte and the translated image is the generator output at full size', async () => {
  const generator = await loadGenerator(model, { which: 'G_A' });
  const translator = await TfjsTranslator.create(generator);
  for (const frame of frames) {
    const outFrame = cityscapesFrame(join(output, 'cityscapes'), frame);
    for (const key of ['labelIdsPath', 'instanceIdsPath', 'colorPath', 'labelTrainIdsPath', 'polygonsPath'] as const) {
      assert.ok(readFileSync(outFrame[key]).equals(readFileSync(frame[key])), `${outFrame[key]} differs from the source`);
    }
    const source = await readRgb(frame.imagePath);
    const [expected] = await translator.translate([source]);
    const written = await readRgb(outFrame.imagePath);
    assert.deepEqual([written.width, written.height], [512, 256]);
    assert.ok(Buffer.from(written.data).equals(Buffer.from(expected.data)), `${outFrame.imagePath}: not the generator's output`);
    assert.ok(!Buffer.from(written.data).equals(Buffer.from(source.data)));
  }
  generator.dispose();
});

test('the COCO output reads back with our reader and decodes to the source instance masks', async () => {
  const json = join(output, 'coco', 'annotations', 'instances_val.json');
  const ds = await readCocoDataset(json);
  assert.deepEqual(await validateCocoDataset(ds, json, join(output, 'coco', 'images', 'val')), []);
  assert.deepEqual(ds.images.map((i) => i.id), [1, 2, 3]);
  for (const [k, frame] of frames.entries()) {
    const image = ds.images[k];
    assert.equal((image.nightshift as { source_image_id: string }).source_image_id, frame.id);
    const cocoImage = readFileSync(join(output, 'coco', 'images', 'val', image.file_name));
    assert.ok(cocoImage.equals(readFileSync(cityscapesFrame(join(output, 'cityscapes'), frame).imagePath)));
    const instances = (await readGrey16(frame.instanceIdsPath)).data;
    const ids = [...new Set(instances)].filter((v) => v >= 1000 || [17, 18, 19, 20, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33].includes(v)).sort((a, b) => a - b);
    const anns = ds.annotations.filter((a) => a.image_id === image.id);
    assert.ok(anns.length > 0);
    for (const a of anns) {
      const mask = annotationMask(a, image.height, image.width);
      const value = instances[mask.indexOf(1)];
      assert.equal(a.category_id, value >= 1000 ? Math.floor(value / 1000) : value);
      for (let i = 0; i < mask.length; i++) if (mask[i] !== (instances[i] === value ? 1 : 0)) assert.fail(`annotation ${a.id}: pixel ${i} differs from instanceIds`);
      assert.deepEqual((a.nightshift as { flags: unknown[] }).flags, []);
      assert.ok(ids.includes(value));
    }
  }
});

test('the manifest lists each sample once, sorted, with the sha256 of every source and output file', () => {
  const lines = readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.id), frames.map((f) => f.id));
  for (const line of lines) {
    for (const f of line.source.files) assert.equal(f.sha256, sha256(readFileSync(join(input, f.path))), f.path);
    for (const o of line.outputs) assert.equal(o.sha256, sha256(readFileSync(join(output, o.path))), o.path);
    assert.equal(line.outputs.length, 1 + 5 + 1); // image, five gtFine files, COCO image
    assert.match(line.options.checks, /^off/);
    assert.equal(line.model.engine, 'tfjs');
  }
});

test('a rerun builds nothing and leaves every file as it was', async () => {
  const before = treeHashes(output, datasetFiles);
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 samples: 3 up to date, 0 to build/);
  assert.deepEqual(treeHashes(output, datasetFiles), before);
});

test('changing one input image rebuilds exactly that sample', async () => {
  const before = readFileSync(join(output, 'manifest.jsonl'), 'utf8').split('\n');
  const image = await readRgb(frames[1].imagePath);
  image.data[0] ^= 0xff;
  writeFileSync(frames[1].imagePath, await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer());
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 samples: 2 up to date, 1 to build/);
  const after = readFileSync(join(output, 'manifest.jsonl'), 'utf8').split('\n');
  assert.deepEqual(after.map((l, i) => l === before[i]), [true, false, true, true]);
});

test('after a simulated crash (manifest gone, one output gone, one record gone, a stray temp file) a rerun restores identical bytes', async () => {
  const before = treeHashes(output, datasetFiles);
  unlinkSync(join(output, 'manifest.jsonl'));
  unlinkSync(join(output, 'coco', 'annotations', 'instances_val.json'));
  unlinkSync(cityscapesFrame(join(output, 'cityscapes'), frames[0]).imagePath);
  const records = join(output, '.nightshift', 'samples');
  rmSync(join(records, readdirSync(records).sort()[2]));
  writeFileSync(join(output, 'cityscapes', 'leftImg8bit', 'val', 'synthetic', '.half-written.png.123.tmp'), 'partial');
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 samples: 1 up to date, 2 to build/);
  assert.deepEqual(treeHashes(output, datasetFiles), before);
});

test('a smaller --limit leaves exactly what a fresh build of that list leaves', async () => {
  const r = await cli(args.map((a, k) => (args[k - 1] === '--limit' ? '1' : a)));
  assert.equal(r.code, 0, r.stderr);
  const files = [...treeHashes(output, datasetFiles).keys()];
  assert.ok(files.every((f) => !f.includes('synthetic_000001_000001') && !f.includes('synthetic_000001_000002')), files.join('\n'));
  assert.equal(readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').length, 1);
});
