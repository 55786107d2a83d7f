// Exact Cityscapes labels of a scene: labelIds (one byte) and instanceIds (16 bits; thing pixels hold
// labelId*1000+k, stuff pixels the plain label id), from the same rasterisation the renders use.
import { composeParts, type PartMap } from './compose.ts';
import type { Scene } from './types.ts';

export interface SceneLabels {
  width: number;
  height: number;
  /** labelIds, row-major. */
  semantic: Uint8Array;
  /** instanceIds, row-major. */
  instances: Uint16Array;
}

export function sceneLabels(scene: Pick<Scene, 'width' | 'height' | 'items'>): SceneLabels {
  return labelsFromParts(scene, composeParts(scene));
}

/** Labels of an already composed part map (shared with the renders by callers that need both). */
export function labelsFromParts(scene: Pick<Scene, 'width' | 'height' | 'items'>, map: PartMap): SceneLabels {
  const n = map.partItem.length;
  const labelOf = new Uint8Array(n);
  const instanceOf = new Uint16Array(n);
  for (let p = 0; p < n; p++) {
    const item = scene.items[map.partItem[p]];
    labelOf[p] = item.labelId;
    instanceOf[p] = item.instanceId;
  }
  const size = scene.width * scene.height;
  const semantic = new Uint8Array(size);
  const instances = new Uint16Array(size);
  const part = map.part;
  for (let i = 0; i < size; i++) {
    const p = part[i];
    semantic[i] = labelOf[p];
    instances[i] = instanceOf[p];
  }
  return { width: scene.width, height: scene.height, semantic, instances };
}
