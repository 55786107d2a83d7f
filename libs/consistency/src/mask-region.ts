// Per-object windows: the object's mask and a ring around it, cut out of the analysis grid as a box.
import type { InstanceInfo } from './instances.ts';

export interface ObjectWindow {
  /** Box [x0, y0, x1, y1) of the window on the analysis grid. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Per window pixel: 1 inside the mask, 2 in the ring (within `ring` pixels of the mask), 0 elsewhere. */
  role: Uint8Array;
}

/** The mask of `info` and a square ring of width `ring` around it (Chebyshev distance). */
export function objectWindow(instances: Uint16Array, width: number, height: number, info: InstanceInfo, ring: number): ObjectWindow {
  const x0 = Math.max(0, info.x0 - ring), y0 = Math.max(0, info.y0 - ring);
  const x1 = Math.min(width, info.x1 + ring), y1 = Math.min(height, info.y1 + ring);
  const w = x1 - x0, h = y1 - y0;
  const role = new Uint8Array(w * h);
  // Horizontal then vertical dilation by running distance to the last mask pixel (two sweeps each way).
  const hd = new Int32Array(w * h).fill(1 << 20);
  const id = info.instanceId;
  for (let y = 0; y < h; y++) {
    const src = (y + y0) * width + x0, row = y * w;
    let last = -(1 << 20);
    for (let x = 0; x < w; x++) {
      if (instances[src + x] === id) { last = x; role[row + x] = 1; }
      hd[row + x] = x - last;
    }
    last = 1 << 20;
    for (let x = w - 1; x >= 0; x--) {
      if (role[row + x] === 1) last = x;
      const d = last - x;
      if (d < hd[row + x]) hd[row + x] = d;
    }
  }
  for (let x = 0; x < w; x++) {
    let last = -(1 << 20);
    for (let y = 0; y < h; y++) {
      if (hd[y * w + x] <= ring) last = y;
      if (role[y * w + x] === 0 && y - last <= ring) role[y * w + x] = 2;
    }
    last = 1 << 20;
    for (let y = h - 1; y >= 0; y--) {
      if (hd[y * w + x] <= ring) last = y;
      if (role[y * w + x] === 0 && last - y <= ring) role[y * w + x] = 2;
    }
  }
  return { x0, y0, x1, y1, role };
}
