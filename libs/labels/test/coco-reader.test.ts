import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from '../src/errors.ts';
import {
  annotationMask,
  cocoSamples,
  readCocoDataset,
  validateCocoDataset,
  type CocoDataset,
  type CocoProblem,
} from '../src/coco/index.ts';
import { REAL_COCO_JSONS, REAL_RLE_JSON, countOnes, maskBbox, needs } from './coco-helpers.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'coco-reader-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A small valid dataset: two 8x6 images, a polygon and a compressed RLE annotation. */
function smallDataset(): CocoDataset {
  return {
    info: { description: 'test' },
    images: [
      { id: 1, file_name: 'a.jpg', width: 8, height: 6 },
      { id: 2, file_name: 'sub/b.jpg', width: 8, height: 6 },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, segmentation: [[1, 1, 1, 4, 5, 4, 5, 1]], area: 12, bbox: [1, 1, 4, 3], iscrowd: 0 },
      // '>420f0' is the compressed form of counts [14, 4, 2, 4, 24]: a 2x4 block at x 2..3, y 2..5.
      { id: 11, image_id: 2, category_id: 2, segmentation: { size: [6, 8], counts: '>420f0' }, area: 8, bbox: [2, 2, 2, 4], iscrowd: 1 },
    ],
    categories: [
      { id: 1, name: 'car', supercategory: 'vehicle' },
      { id: 2, name: 'road' },
    ],
  };
}

async function imagesRootFor(dir: string): Promise<string> {
  const root = join(dir, 'images');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'a.jpg'), 'x');
  await writeFile(join(root, 'sub', 'b.jpg'), 'x');
  return root;
}

async function problemsAfter(t: { after: (fn: () => Promise<void>) => void }, change: (ds: CocoDataset, root: string, dir: string) => Promise<void> | void): Promise<CocoProblem[]> {
  const dir = await tempDir(t);
  const root = await imagesRootFor(dir);
  const ds = smallDataset();
  await change(ds, root, dir);
  return validateCocoDataset(ds, join(dir, 'instances.json'), root);
}

function assertOneProblem(problems: CocoProblem[], pointer: string, reason: RegExp): void {
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 1));
  assert.equal(problems[0].pointer, pointer);
  assert.match(problems[0].reason, reason);
  assert.match(problems[0].file, /instances\.json$/);
}

test('the small dataset is valid and its samples carry decoded objects', async (t) => {
  assert.deepEqual(await problemsAfter(t, () => undefined), []);
  const [a, b] = [...cocoSamples(smallDataset(), '/data/images', 'x.json')];
  assert.equal(a.format, 'coco');
  assert.equal(a.id, '1');
  assert.equal(a.imagePath, join('/data/images', 'a.jpg'));
  assert.deepEqual(a.objects, [{ instanceId: 10, labelId: 1, name: 'car', bbox: [1, 1, 4, 3], area: 12, pixelCount: 12, iscrowd: false }]);
  assert.deepEqual(b.objects, [{ instanceId: 11, labelId: 2, name: 'road', bbox: [2, 2, 2, 4], area: 8, pixelCount: 8, iscrowd: true }]);
  const mask = annotationMask(b.annotations[0], 6, 8);
  for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) assert.equal(mask[y * 8 + x], x >= 2 && x <= 3 && y >= 2 ? 1 : 0);
});

test('invalid JSON names the file and the line and column', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'broken.json');
  await writeFile(file, '{\n  "images": [\n    {"id": 1,}\n  ]\n}\n');
  await assert.rejects(readCocoDataset(file), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.ok(e.message.includes(file));
    assert.match(e.message, /invalid JSON at line 3, column 14/);
    return true;
  });
  const truncated = join(dir, 'truncated.json');
  await writeFile(truncated, '{"images": [');
  await assert.rejects(readCocoDataset(truncated), /truncated\.json: invalid JSON at line 1, column 13/);
  await assert.rejects(readCocoDataset(join(dir, 'absent.json')), /absent\.json: cannot read/);
});

test('schema failures name the file and the JSON pointer', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, (ds: CocoDataset) => void, string, RegExp][] = [
    ['missing category_id', (ds) => delete (ds.annotations[1] as Partial<CocoDataset['annotations'][0]>).category_id, '/annotations/1', /required property 'category_id'/],
    ['iscrowd 2', (ds) => ((ds.annotations[0] as { iscrowd: number }).iscrowd = 2), '/annotations/0/iscrowd', /must be one of 0, 1, got 2/],
    ['string id', (ds) => ((ds.images[1] as { id: unknown }).id = '2'), '/images/1/id', /must be integer, got "2"/],
    ['bad RLE char', (ds) => ((ds.annotations[1].segmentation as { counts: unknown }).counts = 'ab~'), '/annotations/1/segmentation/counts', /pattern/],
    ['no categories', (ds) => delete (ds as Partial<CocoDataset>).categories, '', /required property 'categories'/],
  ];
  for (const [name, change, pointer, reason] of cases) {
    const ds = smallDataset();
    change(ds);
    const file = join(dir, `${name.replace(/ /g, '_')}.json`);
    await writeFile(file, JSON.stringify(ds));
    await assert.rejects(readCocoDataset(file), (e: unknown) => {
      assert.ok(e instanceof DatasetError, name);
      assert.equal(e.file, file);
      assert.equal(e.pointer, pointer, name);
      assert.ok(e.message.startsWith(`${file} at ${pointer || '/'}: `), e.message);
      assert.match(e.message, reason);
      return true;
    });
  }
});

test('validate: duplicate image ids', async (t) => {
  assertOneProblem(await problemsAfter(t, (ds) => {
    ds.images[1].id = 1;
    ds.annotations[1].image_id = 1;
  }), '/images/1/id', /duplicate image id 1 \(first at \/images\/0\)/);
});

test('validate: duplicate annotation ids', async (t) => {
  assertOneProblem(await problemsAfter(t, (ds) => void (ds.annotations[1].id = 10)), '/annotations/1/id', /duplicate annotation id 10/);
});

test('validate: annotation for a missing image', async (t) => {
  assertOneProblem(await problemsAfter(t, (ds) => void (ds.annotations[0].image_id = 99)), '/annotations/0/image_id', /image id 99, which is not in images/);
});

test('validate: unknown category id', async (t) => {
  assertOneProblem(await problemsAfter(t, (ds) => void (ds.annotations[0].category_id = 7)), '/annotations/0/category_id', /unknown category id 7/);
});

test('validate: polygon outside the image', async (t) => {
  const problems = await problemsAfter(t, (ds) => void (ds.annotations[0].segmentation = [[1, 1, 1, 4, 9.5, 4, 5, 1]]));
  assertOneProblem(problems, '/annotations/0/segmentation/0/4', /point \(9\.5, 4\) is outside the 8x6 image/);
});

test('validate: RLE size different from the image', async (t) => {
  const problems = await problemsAfter(t, (ds) => void (ds.annotations[1].segmentation = { size: [8, 6], counts: [14, 4, 2, 4, 24] }));
  assertOneProblem(problems, '/annotations/1/segmentation/size', /RLE size \[8, 6\] differs from the image's \[height, width\] \[6, 8\]/);
});

test('validate: RLE counts that do not cover the image', async (t) => {
  const problems = await problemsAfter(t, (ds) => void (ds.annotations[1].segmentation = { size: [6, 8], counts: [14, 4, 2, 4] }));
  assertOneProblem(problems, '/annotations/1/segmentation/counts', /sum to 24, not 6x8 = 48/);
});

test('validate: polygon with fewer than 3 points', async (t) => {
  const problems = await problemsAfter(t, (ds) => void (ds.annotations[0].segmentation = [[1, 1, 1, 4, 5, 4, 5, 1], [1, 1, 3, 3]]));
  assertOneProblem(problems, '/annotations/0/segmentation/1', /2 point\(s\), fewer than 3/);
});

test('validate: file_name with ../', async (t) => {
  const problems = await problemsAfter(t, (ds) => void (ds.images[0].file_name = 'sub/../../a.jpg'));
  assertOneProblem(problems, '/images/0/file_name', /climbs out of the images folder/);
});

test('validate: absolute file_name', async (t) => {
  const problems = await problemsAfter(t, (ds, root) => void (ds.images[0].file_name = join(root, 'a.jpg')));
  assertOneProblem(problems, '/images/0/file_name', /is an absolute path/);
  const windows = await problemsAfter(t, (ds) => void (ds.images[0].file_name = 'C:\\images\\a.jpg'));
  assertOneProblem(windows, '/images/0/file_name', /is an absolute path/);
});

test('validate: symlink resolving outside the images folder', async (t) => {
  const problems = await problemsAfter(t, async (ds, root, dir) => {
    await writeFile(join(dir, 'secret.jpg'), 'x');
    await symlink(join(dir, 'secret.jpg'), join(root, 'link.jpg'));
    ds.images[0].file_name = 'link.jpg';
  });
  assertOneProblem(problems, '/images/0/file_name', /resolves to .*secret\.jpg, outside the images folder/);
  // A symlink that stays inside the root is fine.
  const inside = await problemsAfter(t, async (ds, root) => {
    await symlink(join(root, 'sub', 'b.jpg'), join(root, 'alias.jpg'));
    ds.images[0].file_name = 'alias.jpg';
  });
  assert.deepEqual(inside, []);
});

test('validate: missing image file', async (t) => {
  const problems = await problemsAfter(t, (ds) => void (ds.images[1].file_name = 'sub/c.jpg'));
  assertOneProblem(problems, '/images/1/file_name', /sub\/c\.jpg does not exist/);
});

test('cocoSamples refuses unsafe file names and unknown categories with DatasetError', () => {
  const ds = smallDataset();
  ds.images[1].file_name = '../b.jpg';
  assert.throws(() => [...cocoSamples(ds, '/data', 'x.json')], (e: unknown) => e instanceof DatasetError && e.pointer === '/images/1/file_name');
  const unknown = smallDataset();
  unknown.annotations[0].category_id = 5;
  assert.throws(() => [...cocoSamples(unknown, '/data', 'x.json')], /x\.json at \/annotations\/0\/category_id: unknown category id 5/);
});

for (const { split, json, images } of REAL_COCO_JSONS) {
  test(`real COCO ${split}: reads, validates with its images, and yields samples`, needs(json), async () => {
    const ds = await readCocoDataset(json);
    assert.deepEqual(await validateCocoDataset(ds, json, images), []);
    const samples = [...cocoSamples(ds, images, json)];
    assert.equal(samples.length, ds.images.length);
    const names = new Map(ds.categories.map((c) => [c.id, c.name]));
    for (const s of samples) {
      assert.ok(existsSync(s.imagePath), s.imagePath);
      assert.equal(s.objects.length, s.annotations.length);
      s.annotations.forEach((ann, i) => {
        const mask = annotationMask(ann, s.height, s.width);
        const o = s.objects[i];
        assert.equal(o.instanceId, ann.id);
        assert.equal(o.labelId, ann.category_id);
        assert.equal(o.name, names.get(ann.category_id));
        assert.equal(o.pixelCount, countOnes(mask));
        assert.deepEqual(o.bbox, maskBbox(mask, s.width, s.height));
        assert.equal(o.area, ann.area);
        assert.equal(o.iscrowd, false);
      });
    }
  });
}

test('real BDD100K RLE json: reads, validates, objects match the pycocotools area and bbox', needs(REAL_RLE_JSON), async () => {
  const ds = await readCocoDataset(REAL_RLE_JSON);
  assert.deepEqual(await validateCocoDataset(ds, REAL_RLE_JSON), []);
  const [sample] = [...cocoSamples(ds, '/nonexistent', REAL_RLE_JSON)];
  assert.equal(sample.objects.length, 12);
  for (const [i, o] of sample.objects.entries()) {
    assert.equal(o.pixelCount, ds.annotations[i].area);
    assert.deepEqual(o.bbox, ds.annotations[i].bbox);
    assert.equal(o.iscrowd, true);
  }
});
