// The objects the erasure check looks at: every instance (an instanceIds instance value) and every group of
// a class with instances (a plain labelId of a hasInstances class, e.g. 26 "car group").
import { isInstanceValue, labelById, labelIdOf } from '@nightshift/labels';

export interface InstanceInfo {
  instanceId: number;
  labelId: number;
  /** Tight box [x0, y0, x1, y1) on the grid it was measured on. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
}

const THING_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256);
  for (let id = 0; id < 256; id++) if (labelById(id)?.hasInstances) lut[id] = 1;
  return lut;
})();

/** Whether an instanceIds value is an object (instance or group of a thing class). */
export function isObjectId(v: number): boolean {
  return isInstanceValue(v) || THING_LUT[v] === 1;
}

/** Objects of an instanceIds map with their boxes and pixel counts, sorted by id. */
export function listInstances(instances: Uint16Array, width: number): InstanceInfo[] {
  const byId = new Map<number, InstanceInfo>();
  const height = instances.length / width;
  for (let y = 0; y < height; y++) {
    let prev = -1;
    let info: InstanceInfo | undefined;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const v = instances[i];
      if (v !== prev) {
        prev = v;
        info = isObjectId(v) ? byId.get(v) : undefined;
        if (!info && isObjectId(v)) {
          info = { instanceId: v, labelId: labelIdOf(v), x0: x, y0: y, x1: x + 1, y1: y + 1, area: 0 };
          byId.set(v, info);
        }
      }
      if (info) {
        info.area++;
        if (x < info.x0) info.x0 = x;
        if (x >= info.x1) info.x1 = x + 1;
        if (y >= info.y1) info.y1 = y + 1;
      }
    }
  }
  return [...byId.values()].sort((a, b) => a.instanceId - b.instanceId);
}
