import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScene, sceneLabels, minObjectArea } from '../src/index.ts';
import { KNOWN_ID, labelById } from '@nightshift/labels';

const SEEDS = [0, 1, 2, 3, 17, 123456, 4294967295];

test('the same seed gives the same scene and labels; different seeds differ', () => {
  const a = generateScene(42), b = generateScene(42), c = generateScene(43);
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  assert.notEqual(JSON.stringify(a), JSON.stringify(c));
  const la = sceneLabels(a), lb = sceneLabels(b), lc = sceneLabels(c);
  assert.deepEqual(la.semantic, lb.semantic);
  assert.deepEqual(la.instances, lb.instances);
  assert.notDeepEqual(la.semantic, lc.semantic);
});

test('a scene is plain JSON: a parsed copy gives identical labels', () => {
  const scene = generateScene(7);
  const copy = JSON.parse(JSON.stringify(scene));
  assert.deepEqual(copy, scene);
  assert.deepEqual(sceneLabels(copy).instances, sceneLabels(scene).instances);
});

for (const seed of SEEDS) {
  test(`labels of seed ${seed} are exact and consistent with the object list`, () => {
    const scene = generateScene(seed);
    const { semantic, instances, width, height } = sceneLabels(scene);
    assert.equal(semantic.length, width * height);
    assert.equal(instances.length, width * height);
    const counts = new Map<number, number>();
    const boxes = new Map<number, [number, number, number, number]>();
    for (let i = 0; i < semantic.length; i++) {
      const v = instances[i];
      const derived = v >= 1000 ? Math.floor(v / 1000) : v;
      if (derived !== semantic[i]) assert.fail(`pixel ${i}: instanceId ${v} but labelId ${semantic[i]}`);
      if (!KNOWN_ID[semantic[i]]) assert.fail(`pixel ${i}: label id ${semantic[i]} is not in the Cityscapes table`);
      if (v >= 1000) {
        counts.set(v, (counts.get(v) ?? 0) + 1);
        const x = i % width, y = Math.floor(i / width);
        const b = boxes.get(v) ?? [x, y, x, y];
        boxes.set(v, [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)]);
      } else if (labelById(v)!.hasInstances) {
        assert.fail(`pixel ${i}: thing class ${v} without an instance index`);
      }
    }
    const ids = scene.objects.map((o) => o.instanceId);
    assert.equal(new Set(ids).size, ids.length, 'instance ids are unique');
    assert.deepEqual([...counts.keys()].sort((p, q) => p - q), [...ids].sort((p, q) => p - q), 'objects list = instances in the image');
    const minArea = minObjectArea(width, height);
    for (const o of scene.objects) {
      const label = labelById(o.labelId)!;
      assert.ok(label.hasInstances, `${o.name} is a thing class`);
      assert.equal(label.name, o.name);
      assert.equal(Math.floor(o.instanceId / 1000), o.labelId);
      assert.equal(o.area, counts.get(o.instanceId), `area of ${o.instanceId}`);
      assert.ok(o.area >= minArea, `${o.instanceId} is visible (${o.area} px)`);
      const b = boxes.get(o.instanceId)!;
      assert.deepEqual(o.bbox, [b[0], b[1], b[2] - b[0] + 1, b[3] - b[1] + 1], `bbox of ${o.instanceId}`);
    }
    // Instance indices count up from 0 per class, as Cityscapes numbers them.
    const byLabel = new Map<number, number[]>();
    for (const item of scene.items) if (item.instanceId >= 1000) byLabel.set(item.labelId, [...(byLabel.get(item.labelId) ?? []), item.instanceId % 1000]);
    for (const ks of byLabel.values()) assert.deepEqual(ks, ks.map((_, k) => k));
  });
}

test('scenes look like streets: sky on top, road at the bottom centre, cars on the road', () => {
  const ids = { road: 7, sky: 23, car: 26 };
  let withPeople = 0, withBuildings = 0;
  for (let seed = 0; seed < 12; seed++) {
    const scene = generateScene(seed);
    const { semantic, width, height } = sceneLabels(scene);
    const share = (row: number, id: number): number => {
      let n = 0;
      for (let x = 0; x < width; x++) if (semantic[row * width + x] === id) n++;
      return n / width;
    };
    assert.equal(share(0, ids.road) + share(0, 8) + share(0, 22), 0, `seed ${seed}: no ground in the top row`);
    assert.ok(share(0, ids.sky) > 0.05 || share(Math.floor(scene.camera.horizon) - 2, ids.sky) > 0.02, `seed ${seed}: some sky is visible`);
    const bottom = height - 1;
    assert.ok(share(bottom, ids.road) + share(bottom, ids.car) > 0.3, `seed ${seed}: road (or a near car) along the bottom row`);
    assert.ok(scene.objects.some((o) => o.labelId === ids.car), `seed ${seed}: at least one car`);
    if (scene.objects.some((o) => o.labelId === 24 || o.labelId === 25)) withPeople++;
    if (semantic.includes(11)) withBuildings++;
    for (let y = 0; y < scene.camera.horizon - 1; y++) {
      if (share(y, ids.road) > 0) assert.fail(`seed ${seed}: road above the horizon at row ${y}`);
    }
  }
  assert.ok(withPeople >= 4, `people appear in several scenes (${withPeople}/12)`);
  assert.ok(withBuildings >= 8, `buildings appear in most scenes (${withBuildings}/12)`);
});

test('sizes: the same seed scales to other sizes; bad sizes and seeds are refused', () => {
  const small = generateScene(5), big = generateScene(5, { width: 2048, height: 1024 });
  assert.equal(big.width, 2048);
  const { semantic } = sceneLabels(big);
  assert.equal(semantic.length, 2048 * 1024);
  assert.ok(Math.abs(big.camera.horizon / 4 - small.camera.horizon) < 1e-9, 'same camera, scaled');
  assert.throws(() => generateScene(1, { width: 4096 }), RangeError);
  assert.throws(() => generateScene(1, { height: 10.5 }), RangeError);
  assert.throws(() => generateScene(-1), RangeError);
  assert.throws(() => generateScene(1.5), RangeError);
});
