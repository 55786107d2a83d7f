// Fault variants of a scene with known answers, for calibrating the consistency checks: the same scene
// with one instance removed (rendered without it, not inpainted), and with one extra car or person.
// The labels that go with a fault render are the ORIGINAL scene's labels: the image no longer matches them.
import { instanceIndexOf, instanceValue, isInstanceValue, labelIdOf } from '@nightshift/labels';
import { Rng } from './prng.ts';
import { View } from './view.ts';
import { ObjectBuilder } from './objects.ts';
import { listObjects, minObjectArea } from './scene.ts';
import { shadeParts, type RenderMode, type RgbImage } from './render.ts';
import { composeParts, type PartMap } from './compose.ts';
import { rasterise } from './raster.ts';
import type { Box, Item, Scene, SceneObject, Shape } from './types.ts';

export interface FaultTruth {
  kind: 'erased' | 'added';
  /** The erased instance's id in the original labels (absent for an added object: it has no label). */
  instanceId?: number;
  labelId: number;
  name: string;
  /** Tight box [x, y, w, h] of the object's visible pixels (erased: in the original scene; added: in the fault scene). */
  bbox: Box;
  area: number;
  /**
   * Box [x, y, w, h] outside of which the fault render equals the clean render exactly: the object's full
   * outline (occluded parts included), its day shadow and its night lights.
   */
  extent: Box;
}

export interface FaultScene {
  truth: FaultTruth;
  /** The changed scene (its own objects list describes what is drawn, not the labels to use). */
  scene: Scene;
}

export interface FaultRender {
  truth: FaultTruth;
  image: RgbImage;
}

const FAULT_STREAM = 0xfa17;
/** An erased object must show at least this share of its own outline (a mostly hidden object is a weak test). */
const MIN_VISIBLE_SHARE = 0.5;

function shapeBounds(shape: Shape): [number, number, number, number] {
  switch (shape.type) {
    case 'rect':
      return [shape.x, shape.y, shape.x + shape.w, shape.y + shape.h];
    case 'ellipse':
    case 'ring':
      return [shape.cx - shape.rx, shape.cy - shape.ry, shape.cx + shape.rx, shape.cy + shape.ry];
    case 'poly': {
      const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let i = 0; i < shape.points.length; i += 2) {
        b[0] = Math.min(b[0], shape.points[i]);
        b[1] = Math.min(b[1], shape.points[i + 1]);
        b[2] = Math.max(b[2], shape.points[i]);
        b[3] = Math.max(b[3], shape.points[i + 1]);
      }
      return b;
    }
  }
}

/** Pixel box of everything an item can change in a render (outline, shadow, lights), clipped to the image. */
export function itemExtent(item: Item, width: number, height: number): Box {
  const bounds = [...item.parts.map((p) => shapeBounds(p.shape))];
  if (item.shadow) bounds.push(shapeBounds(item.shadow.shape));
  for (const l of item.lights ?? []) bounds.push([l.cx - l.rx, l.cy - l.ry, l.cx + l.rx, l.cy + l.ry]);
  const x0 = Math.max(0, Math.floor(Math.min(...bounds.map((b) => b[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...bounds.map((b) => b[1]))));
  const x1 = Math.min(width, Math.ceil(Math.max(...bounds.map((b) => b[2]))));
  const y1 = Math.min(height, Math.ceil(Math.max(...bounds.map((b) => b[3]))));
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}

/** Pixels an item would cover on its own, without occlusion. */
function outlineArea(item: Item, width: number, height: number): number {
  let area = 0;
  const seen = new Uint8Array(width * height);
  for (const p of item.parts) {
    rasterise(p.shape, width, height, (y, x0, x1) => {
      for (let i = y * width + x0, end = y * width + x1; i < end; i++) if (!seen[i]) { seen[i] = 1; area++; }
    });
  }
  return area;
}

/** Objects large enough to be worth erasing or adding, in pixels. */
export function faultMinArea(width: number, height: number): number {
  return Math.max(minObjectArea(width, height) * 4, Math.round(width * height * 0.002));
}

/** A fault scene and the part map it was measured with (reused for its render). */
type Composed = FaultScene & { map: PartMap };

function withItems(scene: Scene, items: Item[]): { scene: Scene; map: PartMap } {
  const changed: Scene = { ...scene, items };
  const map = composeParts(changed);
  changed.objects = listObjects(changed, map);
  return { scene: changed, map };
}

function chooseVictim(scene: Scene, rng: Rng): SceneObject | null {
  if (scene.objects.length === 0) return null;
  const min = faultMinArea(scene.width, scene.height);
  const candidates = scene.objects.filter((o) => {
    if (o.area < min) return false;
    const item = scene.items.find((it) => it.instanceId === o.instanceId)!;
    return o.area >= MIN_VISIBLE_SHARE * outlineArea(item, scene.width, scene.height);
  });
  if (candidates.length > 0) return rng.pick(candidates);
  return scene.objects.reduce((a, b) => (b.area > a.area ? b : a));
}

/** The scene without one of its instances, or null when it has none. */
export function eraseFault(scene: Scene): FaultScene | null {
  const fault = erase(scene);
  return fault && { truth: fault.truth, scene: fault.scene };
}

function erase(scene: Scene): Composed | null {
  const rng = new Rng(scene.seed, FAULT_STREAM);
  const victim = chooseVictim(scene, rng);
  if (!victim) return null;
  const items = scene.items.filter((item) => item.instanceId !== victim.instanceId);
  const item = scene.items.find((it) => it.instanceId === victim.instanceId)!;
  return {
    truth: {
      kind: 'erased', instanceId: victim.instanceId, labelId: victim.labelId, name: victim.name, bbox: [...victim.bbox], area: victim.area,
      extent: itemExtent(item, scene.width, scene.height),
    },
    ...withItems(scene, items),
  };
}

function insertInPainterOrder(scene: Scene, item: Item): Item[] {
  const items = scene.items.slice();
  let at = items.length;
  while (at > scene.firstStreetItem && items[at - 1].depth < item.depth) at--;
  items.splice(at, 0, item);
  return items;
}

/** The scene with one more car (on a lane) or person (on a sidewalk); tries placements until one is large and mostly visible. */
export function addFault(scene: Scene): FaultScene {
  const fault = add(scene);
  return { truth: fault.truth, scene: fault.scene };
}

function add(scene: Scene): Composed {
  const rng = new Rng(scene.seed, FAULT_STREAM + 1);
  const view = new View(scene.camera);
  const objects = new ObjectBuilder(rng, view, (z) => 1 - Math.exp(-z / scene.visibility));
  const min = faultMinArea(scene.width, scene.height);
  const usedK = new Map<number, number>();
  for (const item of scene.items) if (isInstanceValue(item.instanceId)) {
    const label = labelIdOf(item.instanceId);
    usedK.set(label, Math.max(usedK.get(label) ?? -1, instanceIndexOf(item.instanceId)));
  }
  let best: Composed | null = null;
  for (let attempt = 0; attempt < 24; attempt++) {
    let item: Item;
    if (rng.chance(0.55) && scene.street.lanes.length > 0) {
      const lane = rng.pick(scene.street.lanes);
      item = objects.vehicle('car', lane.x + rng.range(-0.3, 0.3), rng.range(8, 35), lane.facing);
    } else {
      const [a, b] = rng.pick(scene.street.sidewalks);
      item = objects.person(rng.range(Math.min(a, b), Math.max(a, b)), rng.range(5, 25));
    }
    item.instanceId = instanceValue(item.labelId, (usedK.get(item.labelId) ?? -1) + 1);
    const changed = withItems(scene, insertInPainterOrder(scene, item));
    const drawn = changed.scene.objects.find((o) => o.instanceId === item.instanceId);
    if (!drawn) continue;
    const fault: Composed = {
      truth: {
        kind: 'added', labelId: drawn.labelId, name: drawn.name, bbox: [...drawn.bbox], area: drawn.area,
        extent: itemExtent(item, scene.width, scene.height),
      },
      ...changed,
    };
    if (!best || drawn.area > best.truth.area) best = fault;
    if (drawn.area >= min && drawn.area >= MIN_VISIBLE_SHARE * outlineArea(item, scene.width, scene.height)) {
      best = fault;
      break;
    }
  }
  if (!best) throw new Error(`synthetic scene ${scene.seed}: no place to add an object`);
  return best;
}

/**
 * Night (by default) renders of both fault variants, sharing the clean render's noise. With `clean` (the
 * scene's own render in the same mode) only each fault's extent is re-rendered, which gives the same pixels
 * faster; without it, both are rendered whole.
 */
export async function renderFaults(scene: Scene, mode: RenderMode = 'night', clean?: RgbImage): Promise<{ erased: FaultRender | null; added: FaultRender }> {
  if (mode !== 'day' && mode !== 'night') throw new RangeError(`renderFaults: mode must be 'day' or 'night', got '${String(mode)}'`);
  const erased = erase(scene);
  const added = add(scene);
  const shade = (f: Composed): RgbImage => shadeParts(f.scene, f.map, mode, clean && { box: f.truth.extent, base: clean });
  return {
    erased: erased ? { truth: erased.truth, image: shade(erased) } : null,
    added: { truth: added.truth, image: shade(added) },
  };
}
