import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConsistency, drawOverlay, eraseInstance, inpaint, pasteObject, photometricNight, listInstances, DEFAULT_THRESHOLDS, OVERLAY_COLORS, type ConsistencyInput, type LabelMaps, type RgbImage } from '@nightshift/consistency';
import { scene, overlaps } from './helpers.ts';

// Seeds from the evaluation range of bench/consistency.ts where the synthetic fault is large (>= 32x32).
test('darkening, gamma and blue shift of the source alone produce no flags', async () => {
  for (const seed of [500001, 500002, 500003]) {
    const { labels, day } = await scene(seed);
    for (const night of [photometricNight({ seed })(day), photometricNight({ gamma: 1.5, exposure: 0.8, tint: [0.9, 0.95, 1.1], noise: 0 })(day)]) {
      const r = checkConsistency({ sampleId: `s${seed}`, source: day, output: night, labels });
      assert.deepEqual(r.flags, [], `seed ${seed}: ${JSON.stringify(r.flags)}`);
      assert.ok(r.objects.length > 0);
    }
  }
});

test('an object erased by inpainting is flagged erased with its instance id', async () => {
  const { labels, day } = await scene(500004);
  const night = photometricNight({ seed: 3 })(day);
  const big = listInstances(labels.instances, labels.width).filter((o) => o.area >= 1024);
  assert.ok(big.length > 0);
  for (const o of big.slice(0, 3)) {
    const fault = eraseInstance(night, labels, o.instanceId, { noiseSeed: 1 })!;
    const r = checkConsistency({ sampleId: 'e', source: day, output: fault.image, labels });
    const flag = r.flags.find((f) => f.kind === 'erased' && f.instanceId === o.instanceId);
    assert.ok(flag, `instance ${o.instanceId} not flagged: ${JSON.stringify(r.objects.find((q) => q.instanceId === o.instanceId))}`);
    assert.ok(flag.score < flag.threshold);
  }
});

test('synthetic erase fault render: the erased instance is flagged erased', async () => {
  // A seed whose victim is large and clearly visible (chosen from the calibration range).
  let found = 0;
  for (const seed of [1003, 1009, 1024]) {
    const { labels, day, faults } = await scene(seed);
    const victim = faults.erased!.truth.instanceId!;
    const r = checkConsistency({ sampleId: `f${seed}`, source: day, output: faults.erased!.image, labels });
    if (r.flags.some((f) => f.kind === 'erased' && f.instanceId === victim)) found++;
  }
  assert.equal(found, 3);
});

/** The target scene's photometric night with an object of the next scene pasted onto its road or sidewalk. */
async function pastedNight(seed: number): Promise<{ day: RgbImage; labels: LabelMaps; image: RgbImage; box: number[] }> {
  const target = await scene(seed), donorScene = await scene(seed + 1);
  const night = photometricNight({ seed: 5 })(target.day);
  const donor = listInstances(donorScene.labels.instances, 512).find((o) => o.instanceId >= 1000 && o.area >= 1024 && o.x0 > 0 && o.x1 < 512)!;
  assert.ok(donor);
  const pasted = pasteObject(night, target.labels, { image: donorScene.day, instances: donorScene.labels.instances, instanceId: donor.instanceId }, 11)!;
  assert.ok(pasted);
  return { day: target.day, labels: target.labels, image: pasted.image, box: pasted.truth.bbox };
}

test('pasted objects with new structure are flagged hallucinated (structure cue) with a box overlapping the truth', async () => {
  // Seeds where the pasted object shows edges against the ground (flat-shaded synthetic objects often do not).
  for (const seed of [500012, 500016, 500024, 500029]) {
    const p = await pastedNight(seed);
    const r = checkConsistency({ sampleId: `p${seed}`, source: p.day, output: p.image, labels: p.labels });
    const hit = r.flags.find((f) => f.kind === 'hallucinated' && overlaps(f.bbox, p.box));
    assert.ok(hit, `seed ${seed}: no hallucinated flag over ${p.box}: ${JSON.stringify(r.regions)}`);
    assert.equal(hit.threshold, DEFAULT_THRESHOLDS.hallucinationThreshold);
    assert.ok(r.regions.some((g) => g.cue === 'structure' && overlaps(g.bbox, p.box)));
  }
});

// Known limitation (see the benchmark): on this gamma-darkened stand-in night, most pasted objects leave
// too little new structure for the calibrated threshold (this one scores 206 against 246.63; 6 of the 27
// pastes of seeds 500000..500029 are flagged). Kept as a todo so that it reports, not hides, the gap.
test('a pasted object is flagged hallucinated with a box overlapping the truth', { todo: 'hallucination recall below target on dark pasted objects' }, async () => {
  const p = await pastedNight(500005);
  const r = checkConsistency({ sampleId: 'p', source: p.day, output: p.image, labels: p.labels });
  const hit = r.flags.find((f) => f.kind === 'hallucinated' && overlaps(f.bbox, p.box));
  assert.ok(hit, `no hallucinated flag over ${p.box}: ${JSON.stringify(r.regions.slice(0, 5))}`);
});

test('synthetic add fault renders: the head or tail lights of the added car on the road are flagged hallucinated', async () => {
  for (const seed of [500001, 500004, 500005]) {
    const { labels, day, faults } = await scene(seed);
    const truth = faults.added.truth;
    assert.ok(truth.area >= 1024);
    const r = checkConsistency({ sampleId: `a${seed}`, source: day, output: faults.added.image, labels });
    const hit = r.flags.find((f) => f.kind === 'hallucinated' && overlaps(f.bbox, truth.bbox));
    assert.ok(hit, `seed ${seed}: no hallucinated flag over ${truth.bbox}: ${JSON.stringify(r.regions.filter((g) => g.cue === 'light'))}`);
  }
});

/** A box of w x h pixels where every pixel satisfies `ok`, scanning from the bottom up; null if none. */
function findBox(width: number, height: number, w: number, h: number, ok: (i: number) => boolean): [number, number] | null {
  for (let y = height - h - 4; y >= 0; y -= 2) for (let x = 4; x + w < width - 4; x += 2) {
    let all = true;
    for (let yy = y; yy < y + h && all; yy++) for (let xx = x; xx < x + w && all; xx++) all = ok(yy * width + xx);
    if (all) return [x, y];
  }
  return null;
}

test('a pair of lights standing on the road or on a dark car body is a stray light; on a bright part of a car (a lamp by day) it belongs to the car', async () => {
  // The first scene with free road and both a bright (lamp-like) and a dark 30x8 part of a car.
  for (const seed of [500001, 500002, 500003, 500004, 500005, 500006, 500007, 500008]) {
    const { labels, day, night } = await scene(seed);
    const { width, height } = labels;
    const paint = (x: number, y: number): RgbImage => {
      const data = new Uint8Array(night.data);
      for (const dx of [0, 20]) for (let yy = y + 2; yy < y + 6; yy++) for (let xx = x + dx + 2; xx < x + dx + 8; xx++) data.fill(255, (yy * width + xx) * 3, (yy * width + xx) * 3 + 3);
      return { width, height, data };
    };
    const unsaturated = (i: number): boolean => Math.max(day.data[i * 3], day.data[i * 3 + 1], day.data[i * 3 + 2]) < 250;
    // A 30x8 place on road, at least 12 px from any object.
    const road = findBox(width, height, 30, 8, (i) => {
      if (labels.semantic[i] !== 7 || !unsaturated(i)) return false;
      const x = i % width, y = (i - x) / width;
      for (let yy = Math.max(0, y - 12); yy <= Math.min(height - 1, y + 12); yy += 3) for (let xx = Math.max(0, x - 12); xx <= Math.min(width - 1, x + 12); xx += 3) if (labels.instances[yy * width + xx] >= 1000) return false;
      return true;
    });
    const srcMax = (i: number): number => Math.max(day.data[i * 3], day.data[i * 3 + 1], day.data[i * 3 + 2]);
    const isCar = (i: number): boolean => Math.floor(labels.instances[i] / 1000) === 26;
    const level = DEFAULT_THRESHOLDS.strayLightObjectSourceLevel;
    const car = findBox(width, height, 30, 8, (i) => isCar(i) && unsaturated(i) && srcMax(i) >= level);
    const darkCar = findBox(width, height, 30, 8, (i) => isCar(i) && srcMax(i) < level);
    if (!road || !car || !darkCar) continue;
    const onRoad = checkConsistency({ sampleId: 'road', source: day, output: paint(...road), labels });
    const box = [road[0], road[1], 30, 8];
    const hit = onRoad.flags.find((f) => f.kind === 'hallucinated' && overlaps(f.bbox, box));
    assert.ok(hit, JSON.stringify(onRoad.regions.filter((g) => g.cue === 'light')));
    assert.equal(hit.threshold, DEFAULT_THRESHOLDS.strayLightThreshold);
    assert.equal(hit.className, 'road');
    assert.ok(hit.score >= 2 * 6 * 4);
    const onCar = checkConsistency({ sampleId: 'car', source: day, output: paint(...car), labels });
    const carBox = [car[0], car[1], 30, 8];
    assert.deepEqual(onCar.regions.filter((g) => g.cue === 'light' && overlaps(g.bbox, carBox)), []);
    const onDark = checkConsistency({ sampleId: 'dark', source: day, output: paint(...darkCar), labels });
    const darkBox = [darkCar[0], darkCar[1], 30, 8];
    assert.ok(onDark.flags.some((f) => f.kind === 'hallucinated' && f.className === 'car' && overlaps(f.bbox, darkBox)), JSON.stringify(onDark.regions.filter((g) => g.cue === 'light')));
    return;
  }
  assert.fail('no scene has free road and large enough bright and dark car parts');
});

test('stray-light regions are the same whether the output bytes are word-aligned (four-pixel skip) or not, at any light level', async () => {
  const { Prng } = await import('../src/faults/prng.ts');
  const { labels, day, night } = await scene(500001);
  const random = new Prng(7);
  const painted = new Uint8Array(night.data);
  // Saturated and near-threshold pixels at every position modulo 4, singly and in runs that cross a four-pixel group.
  for (let k = 0; k < 400; k++) {
    const i = random.int(0, labels.width * labels.height - 4), run = random.int(1, 3), level = random.int(236, 255);
    for (let j = 0; j < run; j++) painted[(i + j) * 3 + random.int(0, 2)] = level;
  }
  const unaligned = new Uint8Array(painted.length + 1).subarray(1);
  unaligned.set(painted);
  for (const strayLightLevel of [DEFAULT_THRESHOLDS.strayLightLevel, 246, 240]) {
    const lights = (data: Uint8Array) => checkConsistency({ sampleId: 's', source: day, output: { ...night, data }, labels }, { strayLightLevel }).regions.filter((g) => g.cue === 'light');
    const aligned = lights(painted);
    assert.ok(aligned.length > 5, `level ${strayLightLevel}: only ${aligned.length} light regions`);
    assert.deepEqual(lights(unaligned), aligned, `level ${strayLightLevel}`);
  }
});

test('lit windows, lamps and head/tail lights of clean night renders are excluded from hallucination regions', async () => {
  let lights = 0;
  for (const seed of [500001, 500002, 500007]) {
    const { labels, day, night } = await scene(seed);
    const r = checkConsistency({ sampleId: `n${seed}`, source: day, output: night, labels }, { hallucinationThreshold: 0 });
    // Bright light pixels (lit windows, glow cores) on stuff outside objects: a night render is dark elsewhere.
    // Road and sidewalk are left out: their bright pixels are the pools lamps throw, which the check keeps
    // looking at (an object standing in a pool must still show).
    const light: number[] = [];
    for (let i = 0; i < night.data.length / 3; i++) {
      const m = Math.max(night.data[i * 3], night.data[i * 3 + 1], night.data[i * 3 + 2]);
      if (m >= 150 && labels.instances[i] < 1000 && [11, 21, 22, 23].includes(labels.semantic[i])) light.push(i);
    }
    lights += light.length;
    // No candidate region, flagged or not, is made of them: a region's box may contain a light pixel only
    // when the region is much larger than the light (e.g. a whole road), never centred on it. Slivers
    // thinner than hallucinationMinSide are discounted to nothing (score under 1 % of the threshold).
    for (const g of r.regions) {
      if (g.cue === 'structure' && g.score < 0.01 * DEFAULT_THRESHOLDS.hallucinationThreshold) continue;
      const [bx, by, bw, bh] = g.bbox;
      const inside = light.filter((i) => { const x = i % 512, y = (i - x) / 512; return x >= bx && x < bx + bw && y >= by && y < by + bh; }).length;
      assert.ok(inside < 0.05 * bw * bh, `seed ${seed}: region ${g.bbox} holds ${inside} light pixels`);
    }
  }
  assert.ok(lights > 50, 'the scenes have lights to test');
});

test('inpainting removes structure inside the mask and leaves pixels outside untouched', () => {
  const width = 64, height = 48;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const v = 60 + x + ((x >> 2) + (y >> 2)) % 2 * 80; // checkerboard inside a ramp
    data.set([v, v, v], (y * width + x) * 3);
  }
  const mask = new Uint8Array(width * height);
  for (let y = 16; y < 32; y++) for (let x = 20; x < 40; x++) mask[y * width + x] = 1;
  const image: RgbImage = { width, height, data };
  const out = inpaint(image, mask);
  let inside = 0, n = 0, s = 0, s2 = 0, maxStep = 0;
  for (let i = 0; i < width * height; i++) {
    if (!mask[i]) { for (let c = 0; c < 3; c++) assert.equal(out.data[i * 3 + c], data[i * 3 + c]); continue; }
    inside++;
    const x = i % width, y = (i - x) / width;
    if (mask[i + 1] && x + 1 < width) { const d = out.data[i * 3] - out.data[(i + 1) * 3]; s += Math.abs(d); n++; }
    if (x >= 24 && x < 35 && y >= 20 && y < 27) { // 4 px or more inside the hole's edges
      maxStep = Math.max(maxStep, Math.abs(out.data[i * 3] - out.data[(i + 1) * 3]), Math.abs(out.data[i * 3] - out.data[(i + width) * 3]));
    }
    s2 += Math.abs(data[i * 3] - data[(i + 1) * 3]);
    void y;
  }
  assert.equal(inside, 16 * 20);
  // The checkerboard's 80-step edges are gone: neighbours differ by little.
  assert.ok(s / n < 8, `mean neighbour step inside ${s / n}`);
  // ... and away from its edges the fill is smooth, not flat blocks with steps between them.
  assert.ok(maxStep <= 3, `largest neighbour step inside ${maxStep}`);
  assert.ok(s2 / inside > 15);
});

test('box mean equals the brute-force mean of the clipped window', async () => {
  const { boxMean } = await import('../src/box-filter.ts');
  for (const [w, h, r] of [[7, 5, 1], [13, 9, 3], [5, 4, 6], [1, 1, 2], [20, 3, 4], [3, 17, 2], [23, 14, 2], [9, 11, 0]]) {
    const src = Float32Array.from({ length: w * h }, (_, i) => Math.sin(i * 1.7) * 10);
    const dst = new Float32Array(w * h);
    boxMean(src, w, h, r, dst, new Float32Array(w * h));
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0, n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) { s += src[yy * w + xx]; n++; }
      assert.ok(Math.abs(s / n - dst[y * w + x]) < 1e-5, `${w}x${h} r${r} at ${x},${y}: ${dst[y * w + x]} vs ${s / n}`);
    }
  }
});

test('overlay draws outlines only at the flagged places', () => {
  const width = 40, height = 30;
  const image: RgbImage = { width, height, data: new Uint8Array(width * height * 3).fill(10) };
  const out = drawOverlay(image, [{ sampleId: 'o', kind: 'erased', cue: 'structure', instanceId: 26001, bbox: [5, 6, 10, 8], labelId: 26, className: 'car', score: 0, threshold: 0.1 }], 1);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const onEdge = ((x === 5 || x === 14) && y >= 6 && y <= 13) || ((y === 6 || y === 13) && x >= 5 && x <= 14);
    const o = (y * width + x) * 3;
    assert.deepEqual([...out.subarray(o, o + 3)], onEdge ? [...OVERLAY_COLORS.erased] : [10, 10, 10], `pixel ${x},${y}`);
  }
  assert.equal(image.data[0], 10, 'input untouched');
});

test('a check gives the same result whatever the checks before it left in the buffers it reuses', async () => {
  const { Prng } = await import('../src/faults/prng.ts');
  const { labels, day, faults } = await scene(500004);
  const input = { sampleId: 'a', source: day, output: faults.added.image, labels };
  const first = checkConsistency(input);
  assert.ok(first.flags.length > 0 && first.regions.length > 0);
  // Checks of other content leave extreme values in the pooled buffers. Each is followed by the input again,
  // so that the buffers the input reuses hold that check's values (a check reuses them in a fixed order).
  // A flat grey road whose output is noise on its left half (huge novelty there, lights, stray emitters),
  // with objects on its right half, at this size and at two others:
  const poisons: Array<[string, ConsistencyInput]> = [[512, 256], [640, 200], [1024, 512]].map(([w, h]) => {
    const source = new Uint8Array(w * h * 3).fill(100), output = source.slice();
    const random = new Prng(1);
    for (let i = 0; i < output.length; i++) if ((i / 3) % w < w / 2) output[i] = random.int(0, 255);
    const semantic = new Uint8Array(w * h).fill(7), instances = new Uint16Array(w * h);
    for (let i = 0; i < instances.length; i += 3) if (i % w >= w / 2) instances[i] = 26001;
    return [`noise ${w}x${h}`, { sampleId: 'n', source: { width: w, height: h, data: source }, output: { width: w, height: h, data: output }, labels: { width: w, height: h, semantic, instances } }];
  });
  // ... and another scene's night against this one's day, all labelled road: new structure everywhere.
  const other = await scene(500002);
  const road = { ...labels, semantic: new Uint8Array(labels.semantic.length).fill(7), instances: new Uint16Array(labels.instances.length) };
  poisons.push(['another scene', { sampleId: 'o', source: day, output: other.night, labels: road }]);
  for (const [name, poison] of poisons) {
    assert.ok(checkConsistency(poison).regions.length > 0, name);
    assert.deepEqual(checkConsistency(input), first, `after ${name}`);
  }
});

test('bad input throws', async () => {
  const { labels, day } = await scene(500001);
  assert.throws(() => checkConsistency({ sampleId: 'x', source: day, output: { ...day, width: 10 }, labels }));
  assert.throws(() => checkConsistency({ sampleId: 'x', source: day, output: day, labels: { ...labels, width: 3 } }));
});

/** The image with one grey level added or taken on a seeded 1 % of its bytes (the onnx and tfjs engines' translations differ like this on 0.2 %). */
function levelNoise(image: RgbImage, seed: number): RgbImage {
  const data = new Uint8Array(image.data);
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  let changed = 0;
  for (let i = 0; i < data.length; i++) {
    if (rnd() >= 0.01) continue;
    const v = rnd() < 0.5 ? Math.max(0, data[i] - 1) : Math.min(255, data[i] + 1);
    if (v !== data[i]) changed++;
    data[i] = v;
  }
  assert.ok(changed > 0.005 * data.length);
  return { ...image, data };
}

test('one grey level of noise on 1 % of the output bytes changes no flag', async () => {
  let flags = 0;
  for (const seed of [500001, 500004, 500006, 500012]) {
    const { labels, day, night, faults } = await scene(seed);
    for (const output of [night, faults.added.image, ...(faults.erased ? [faults.erased.image] : [])]) {
      const a = checkConsistency({ sampleId: 'a', source: day, output, labels }).flags;
      const b = checkConsistency({ sampleId: 'a', source: day, output: levelNoise(output, seed), labels }).flags;
      flags += a.length;
      assert.equal(b.length, a.length, `seed ${seed}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      for (const [i, f] of a.entries()) {
        const g = b[i];
        assert.deepEqual([g.kind, g.className, g.instanceId], [f.kind, f.className, f.instanceId]);
        for (let k = 0; k < 4; k++) assert.ok(Math.abs(g.bbox[k] - f.bbox[k]) <= 2, `seed ${seed}: box ${f.bbox} vs ${g.bbox}`);
        // Erased: retention, a correlation in [-1, 1]; hallucinated: evidence or emitter counts, relative.
        const tolerance = f.kind === 'erased' ? 0.05 : 0.1 * f.score;
        assert.ok(Math.abs(g.score - f.score) <= tolerance, `seed ${seed}: ${f.kind} score ${f.score} vs ${g.score}`);
      }
    }
  }
  assert.ok(flags >= 4, 'the outputs have flags to compare');
});

test('an object that the tone curve crushes into one level is not comparable, not erased; the same object darkened visibly is kept', async () => {
  const { Prng } = await import('../src/faults/prng.ts');
  // A dark street (source grey 20..45) under a bright sky, with a dark textured object (grey 4..40) on it.
  const width = 192, height = 128, n = width * height;
  const day = new Uint8Array(n * 3), instances = new Uint16Array(n), semantic = new Uint8Array(n);
  const random = new Prng(12345);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const i = y * width + x;
    const inside = x >= 64 && x < 128 && y >= 40 && y < 96;
    const sky = y < 24;
    const v = inside ? 4 + Math.round(36 * (((x >> 3) + (y >> 3)) % 2) * (0.6 + 0.4 * random.next())) : sky ? 160 + Math.round(80 * y / 24) : 20 + Math.round(25 * y / height);
    day.fill(v, 3 * i, 3 * i + 3);
    if (inside) { instances[i] = 26001; semantic[i] = 26; } else { instances[i] = sky ? 23 : 7; semantic[i] = sky ? 23 : 7; }
  }
  const source: RgbImage = { width, height, data: day };
  const labels: LabelMaps = { width, height, semantic, instances };
  const night = (map: (v: number) => number): RgbImage => ({ width, height, data: day.map((v) => map(v) + (random.next() < 0.5 ? 0 : 1)) });
  const crushedNight = night((v) => (v < 50 ? 3 : Math.round(v * 0.3)));
  const crushed = checkConsistency({ sampleId: 'crushed', source, output: crushedNight, labels });
  const obj = crushed.objects.find((o) => o.instanceId === 26001)!;
  assert.equal(obj.comparable, false, JSON.stringify(obj));
  assert.deepEqual(crushed.flags.filter((f) => f.kind === 'erased'), []);
  const darkened = checkConsistency({ sampleId: 'darkened', source, output: night((v) => Math.round(v * 0.3)), labels });
  const kept = darkened.objects.find((o) => o.instanceId === 26001)!;
  assert.ok(kept.comparable && kept.retention > 0.5, JSON.stringify(kept));
  const visibleOnly = checkConsistency({ sampleId: 'off', source, output: crushedNight, labels }, { erasureVisibilityFloor: 0 });
  assert.equal(visibleOnly.flags.filter((f) => f.kind === 'erased').length, 1, 'without the visibility weight the crushed object reads as erased');
});
