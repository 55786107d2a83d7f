// Seed → scene description. The same seed gives the same street at any image size (all random draws
// are made in world units); objects that end up with almost no visible pixels are dropped.
import { instanceValue } from '@nightshift/labels';
import { Rng } from './prng.ts';
import { View } from './view.ts';
import { StreetBuilder, type StreetLayout } from './street.ts';
import { ObjectBuilder, type VehicleKind } from './objects.ts';
import { isThing } from './materials.ts';
import { composeParts, type PartMap } from './compose.ts';
import type { Camera, Item, Scene, SceneObject, StreetPlan } from './types.ts';

export interface SceneSize {
  width?: number;
  height?: number;
}

export const DEFAULT_WIDTH = 512;
export const DEFAULT_HEIGHT = 256;
export const MAX_WIDTH = 2048;
export const MAX_HEIGHT = 1024;

/** Validates and fills in the image size; throws RangeError saying what to change. */
export function resolveSize(size: SceneSize = {}): { width: number; height: number } {
  const width = size.width ?? DEFAULT_WIDTH, height = size.height ?? DEFAULT_HEIGHT;
  if (!Number.isInteger(width) || width < 64 || width > MAX_WIDTH) throw new RangeError(`synthetic scene: width must be an integer in 64..${MAX_WIDTH}, got ${width}`);
  if (!Number.isInteger(height) || height < 32 || height > MAX_HEIGHT) throw new RangeError(`synthetic scene: height must be an integer in 32..${MAX_HEIGHT}, got ${height}`);
  return { width, height };
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`synthetic scene: seed must be an integer in 0..4294967295, got ${seed}`);
  return seed;
}

/** Smallest visible area (pixels) for a thing object to be kept in the scene. */
export function minObjectArea(width: number, height: number): number {
  return Math.max(12, Math.round((width * height) / 8000));
}

function planLayout(rng: Rng): StreetLayout {
  const lanes = rng.int(2, 4), laneWidth = rng.range(3, 3.6);
  const oncoming = lanes === 2 ? 1 : rng.int(1, lanes - 1);
  const ego = rng.int(oncoming, lanes - 1);
  const lanesLeft = -(ego + 0.5) * laneWidth + rng.range(-0.4, 0.4);
  const parkingLeft = rng.chance(0.35), parkingRight = rng.chance(0.45);
  const roadLeft = lanesLeft - (parkingLeft ? 2.3 : 0), roadRight = lanesLeft + lanes * laneWidth + (parkingRight ? 2.3 : 0);
  const sidewalkLeft = roadLeft - rng.range(2, 5), sidewalkRight = roadRight + rng.range(2, 5);
  const kindLeft = rng.chance(0.75) ? 'buildings' : 'park', kindRight = rng.chance(0.75) ? 'buildings' : 'park';
  const setback = (): number => (rng.chance(0.3) ? rng.range(1, 5) : 0);
  const facadeLeft = -sidewalkLeft + setback(), facadeRight = sidewalkRight + setback();
  const end = rng.chance(0.6) ? rng.range(70, 170) : Infinity;
  const crosswalk = rng.chance(0.35) ? rng.range(9, 30) : null;
  return {
    laneWidth, lanes, oncoming, lanesLeft, roadLeft, roadRight, parkingLeft, parkingRight, sidewalkLeft, sidewalkRight,
    kindLeft, kindRight, facadeLeft, facadeRight, end, crosswalk, sunFromLeft: rng.chance(0.5), visibility: rng.range(160, 480),
  };
}

function placeTraffic(rng: Rng, objects: ObjectBuilder, layout: StreetLayout, out: Item[]): void {
  const zMax = Math.min(Number.isFinite(layout.end) ? layout.end - 8 : 200, rng.range(60, 110));
  const density = rng.range(0.3, 1);
  const pickKind = (parked: boolean): VehicleKind => {
    const r = rng.next();
    return r < 0.82 || (parked && r < 0.95) ? 'car' : r < 0.92 ? 'truck' : parked ? 'truck' : 'bus';
  };
  for (let lane = 0; lane < layout.lanes; lane++) {
    const Xc = layout.lanesLeft + (lane + 0.5) * layout.laneWidth;
    const facing = lane < layout.oncoming ? 'toward' : 'away';
    for (let z = rng.range(lane === layout.oncoming ? 7 : 4, 25); z < zMax;) {
      const kind = pickKind(false);
      const item = objects.vehicle(kind, Xc + rng.range(-0.35, 0.35), z, facing);
      if (rng.chance(density)) out.push(item);
      z += (kind === 'car' ? 4.8 : 13) + rng.range(3, 30) / density;
    }
  }
  for (const [enabled, X, facing] of [
    [layout.parkingLeft, layout.roadLeft + 1.15, 'toward'], [layout.parkingRight, layout.roadRight - 1.15, 'away'],
  ] as const) {
    if (!enabled) continue;
    for (let z = rng.range(2, 10); z < zMax; z += rng.range(5, 8)) {
      if (rng.chance(0.35)) continue;
      out.push(objects.vehicle(pickKind(true), X + rng.range(-0.15, 0.15), z, rng.chance(0.8) ? facing : facing === 'away' ? 'toward' : 'away'));
      z += 4.5;
    }
  }
}

function placePeople(rng: Rng, objects: ObjectBuilder, layout: StreetLayout, out: Item[]): void {
  const sidewalk = (sign: number): number => sign < 0
    ? rng.range(layout.sidewalkLeft + 0.4, layout.roadLeft - 0.4)
    : rng.range(layout.roadRight + 0.4, layout.sidewalkRight - 0.4);
  for (let i = rng.int(0, 9); i > 0; i--) out.push(objects.person(sidewalk(rng.chance(0.5) ? -1 : 1), rng.range(4, 55)));
  if (layout.crosswalk !== null) {
    for (let i = rng.int(0, 4); i > 0; i--) out.push(objects.person(rng.range(layout.roadLeft, layout.roadRight), layout.crosswalk + rng.range(0.3, 3.2)));
  }
  for (let i = rng.chance(0.5) ? rng.int(1, 2) : 0; i > 0; i--) {
    const onRoad = rng.chance(0.6);
    const X = onRoad ? layout.lanesLeft + layout.lanes * layout.laneWidth - rng.range(0.6, 1.2) : sidewalk(rng.chance(0.5) ? -1 : 1);
    out.push(...objects.rider(X, rng.range(5, 40), rng.chance(0.5) ? 1 : -1));
  }
  for (let i = rng.chance(0.3) ? rng.int(1, 3) : 0; i > 0; i--) {
    out.push(objects.bicycle(sidewalk(rng.chance(0.5) ? -1 : 1), rng.range(4, 30), rng.chance(0.5) ? 1 : -1).item);
  }
}

/** Assigns instanceValue(labelId, k) to thing items in painter's order and returns the visible area of every item. */
function numberInstances(items: Item[]): void {
  const next = new Map<number, number>();
  for (const item of items) {
    if (!isThing(item.name)) continue;
    const k = next.get(item.labelId) ?? 0;
    item.instanceId = instanceValue(item.labelId, k);
    next.set(item.labelId, k + 1);
  }
}

/** Visible area and tight box of every item, from one rasterisation. */
export function measureItems(scene: Pick<Scene, 'width' | 'height' | 'items'>, map: PartMap = composeParts(scene)): { area: Int32Array; bbox: Int32Array } {
  const n = scene.items.length;
  const area = new Int32Array(n);
  const bbox = new Int32Array(n * 4);
  for (let i = 0; i < n; i++) bbox.set([scene.width, scene.height, -1, -1], i * 4);
  const { part, partItem, width, height } = map;
  // Walk runs of equal part index: one update per run instead of per pixel.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width;) {
      const p = part[row + x];
      let end = x + 1;
      while (end < width && part[row + end] === p) end++;
      const item = partItem[p], b = item * 4;
      area[item] += end - x;
      if (x < bbox[b]) bbox[b] = x;
      if (y < bbox[b + 1]) bbox[b + 1] = y;
      if (end - 1 > bbox[b + 2]) bbox[b + 2] = end - 1;
      if (y > bbox[b + 3]) bbox[b + 3] = y;
      x = end;
    }
  }
  return { area, bbox };
}

/** The objects list of a scene: every thing item with visible pixels, with its area and box. */
export function listObjects(scene: Pick<Scene, 'width' | 'height' | 'items'>, map: PartMap = composeParts(scene)): SceneObject[] {
  const { area, bbox } = measureItems(scene, map);
  const objects: SceneObject[] = [];
  scene.items.forEach((item, i) => {
    if (!isThing(item.name) || area[i] === 0) return;
    const b = i * 4;
    objects.push({
      instanceId: item.instanceId, labelId: item.labelId, name: item.name,
      bbox: [bbox[b], bbox[b + 1], bbox[b + 2] - bbox[b] + 1, bbox[b + 3] - bbox[b + 1] + 1], area: area[i], depth: item.depth,
    });
  });
  return objects;
}

/** A deterministic street scene for `seed` (0..2^32-1) at the given size (default 512x256, at most 2048x1024). */
export function generateScene(seed: number, size: SceneSize = {}): Scene {
  const { width, height } = resolveSize(size);
  const root = new Rng(checkSeed(seed));
  const cameraRng = root.fork(1), layoutRng = root.fork(2), streetRng = root.fork(3), trafficRng = root.fork(4), peopleRng = root.fork(5);
  const noiseSeed = root.nextUint32();
  const camera: Camera = {
    focal: width * cameraRng.range(0.85, 1.15),
    cx: width * cameraRng.range(0.44, 0.56),
    horizon: height * cameraRng.range(0.36, 0.48),
    height: cameraRng.range(1.2, 1.65),
  };
  const view = new View(camera);
  const layout = planLayout(layoutRng);
  const street = new StreetBuilder(streetRng, view, layout, width, height);
  street.sky();
  street.baseGround();
  street.backdrop();
  street.road();
  street.sidewalks();
  for (const sign of [-1, 1] as const) {
    if ((sign < 0 ? layout.kindLeft : layout.kindRight) === 'buildings') street.buildings(sign);
    else street.park(sign);
    if (streetRng.chance(0.5)) street.sidewalkTrees(sign);
    if (streetRng.chance(0.8)) street.lamps(sign);
  }
  if (streetRng.chance(0.5)) street.trafficLight(1, layout.crosswalk ?? streetRng.range(12, 40));
  if (streetRng.chance(0.3)) street.trafficLight(-1, layout.crosswalk ?? streetRng.range(12, 40));
  for (let i = streetRng.int(0, 3); i > 0; i--) street.sign(streetRng.chance(0.6) ? 1 : -1, streetRng.range(6, 50));

  const objects = new ObjectBuilder(trafficRng, view, (z) => street.haze(z));
  const things: Item[] = [];
  placeTraffic(trafficRng, objects, layout, things);
  if (!things.some((t) => t.name === 'car' && t.depth < 45)) {
    const lane = trafficRng.int(0, layout.lanes - 1);
    things.push(objects.vehicle('car', layout.lanesLeft + (lane + 0.5) * layout.laneWidth, trafficRng.range(9, 30), lane < layout.oncoming ? 'toward' : 'away'));
  }
  placePeople(peopleRng, new ObjectBuilder(peopleRng, view, (z) => street.haze(z)), layout, things);

  const corridor = [...street.corridor, ...things];
  // Stable sort, far to near: the painter's order.
  corridor.sort((a, b) => b.depth - a.depth);
  const firstStreetItem = street.background.length + street.ground.length + street.sides.length;
  let items = [...street.background, ...street.ground, ...street.sides, ...corridor];
  const minArea = minObjectArea(width, height);
  const first = composeParts({ width, height, items });
  const { area } = measureItems({ width, height, items }, first);
  const kept = items.filter((item, i) => !isThing(item.name) || area[i] >= minArea);
  const map = kept.length === items.length ? first : composeParts({ width, height, items: kept });
  items = kept;
  numberInstances(items);
  const plan: StreetPlan = {
    lanes: Array.from({ length: layout.lanes }, (_, i) => ({ x: layout.lanesLeft + (i + 0.5) * layout.laneWidth, facing: i < layout.oncoming ? 'toward' : 'away' })),
    sidewalks: [[layout.roadLeft - 0.4, layout.sidewalkLeft + 0.4], [layout.roadRight + 0.4, layout.sidewalkRight - 0.4]],
  };
  const scene: Scene = {
    version: 1, seed, width, height, camera, noiseSeed, visibility: layout.visibility, street: plan, firstStreetItem, items, objects: [],
  };
  scene.objects = listObjects(scene, map);
  return scene;
}

