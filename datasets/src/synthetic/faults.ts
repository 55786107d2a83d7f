// Fault variants of a scene with known answers, for calibrating the consistency checks: the same scene
// with one instance removed (rendered without it, not inpainted), and with one extra car or person.
// The labels that go with a fault render are the ORIGINAL scene's labels: the image no longer matches them.
import { Rng } from './prng.ts';
import { View } from './view.ts';
import { ObjectBuilder } from './objects.ts';
import { listObjects, minObjectArea } from './scene.ts';
import { renderSceneSync, type RenderMode, type RgbImage } from './render.ts';
import type { Box, Item, Scene, SceneObject } from './types.ts';

export interface FaultTruth {
  kind: 'erased' | 'added';
  /** The erased instance's id in the original labels (absent for an added object: it has no label). */
  instanceId?: number;
  labelId: number;
  name: string;
  /** Tight box [x, y, w, h] of the object's visible pixels (erased: in the original scene; added: in the fault scene). */
  bbox: Box;
  area: number;
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

/** Objects large enough to be worth erasing or adding, in pixels. */
export function faultMinArea(width: number, height: number): number {
  return Math.max(minObjectArea(width, height) * 4, Math.round(width * height * 0.002));
}

function withItems(scene: Scene, items: Item[]): Scene {
  const changed: Scene = { ...scene, items };
  changed.objects = listObjects(changed);
  return changed;
}

function chooseVictim(scene: Scene, rng: Rng): SceneObject | null {
  if (scene.objects.length === 0) return null;
  const min = faultMinArea(scene.width, scene.height);
  const candidates = scene.objects.filter((o) => o.area >= min);
  if (candidates.length > 0) return rng.pick(candidates);
  return scene.objects.reduce((a, b) => (b.area > a.area ? b : a));
}

/** The scene without one of its instances, or null when it has none. */
export function eraseFault(scene: Scene): FaultScene | null {
  const rng = new Rng(scene.seed, FAULT_STREAM);
  const victim = chooseVictim(scene, rng);
  if (!victim) return null;
  const items = scene.items.filter((item) => item.instanceId !== victim.instanceId);
  return {
    truth: { kind: 'erased', instanceId: victim.instanceId, labelId: victim.labelId, name: victim.name, bbox: [...victim.bbox], area: victim.area },
    scene: withItems(scene, items),
  };
}

function insertInPainterOrder(scene: Scene, item: Item): Item[] {
  const items = scene.items.slice();
  let at = items.length;
  while (at > scene.firstStreetItem && items[at - 1].depth < item.depth) at--;
  items.splice(at, 0, item);
  return items;
}

/** The scene with one more car (on a lane) or person (on a sidewalk); tries placements until one is clearly visible. */
export function addFault(scene: Scene): FaultScene {
  const rng = new Rng(scene.seed, FAULT_STREAM + 1);
  const view = new View(scene.camera);
  const objects = new ObjectBuilder(rng, view, (z) => 1 - Math.exp(-z / scene.visibility));
  const min = faultMinArea(scene.width, scene.height);
  const usedK = new Map<number, number>();
  for (const item of scene.items) if (item.instanceId >= 1000) {
    const label = Math.floor(item.instanceId / 1000);
    usedK.set(label, Math.max(usedK.get(label) ?? -1, item.instanceId % 1000));
  }
  let best: FaultScene | null = null;
  for (let attempt = 0; attempt < 24; attempt++) {
    let item: Item;
    if (rng.chance(0.55) && scene.street.lanes.length > 0) {
      const lane = rng.pick(scene.street.lanes);
      item = objects.vehicle('car', lane.x + rng.range(-0.3, 0.3), rng.range(8, 35), lane.facing);
    } else {
      const [a, b] = rng.pick(scene.street.sidewalks);
      item = objects.person(rng.range(Math.min(a, b), Math.max(a, b)), rng.range(5, 25));
    }
    item.instanceId = item.labelId * 1000 + (usedK.get(item.labelId) ?? -1) + 1;
    const changed = withItems(scene, insertInPainterOrder(scene, item));
    const drawn = changed.objects.find((o) => o.instanceId === item.instanceId);
    if (!drawn) continue;
    const fault: FaultScene = {
      truth: { kind: 'added', labelId: drawn.labelId, name: drawn.name, bbox: [...drawn.bbox], area: drawn.area },
      scene: changed,
    };
    if (!best || drawn.area > best.truth.area) best = fault;
    if (drawn.area >= min) break;
  }
  if (!best) throw new Error(`synthetic scene ${scene.seed}: no place to add an object`);
  return best;
}

/** Night (by default) renders of both fault variants, sharing the clean render's noise. */
export async function renderFaults(scene: Scene, mode: RenderMode = 'night'): Promise<{ erased: FaultRender | null; added: FaultRender }> {
  const erased = eraseFault(scene);
  const added = addFault(scene);
  return {
    erased: erased ? { truth: erased.truth, image: renderSceneSync(erased.scene, mode) } : null,
    added: { truth: added.truth, image: renderSceneSync(added.scene, mode) },
  };
}
