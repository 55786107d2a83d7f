// Overlay picture of the flags: the translated image with a box outline around each flagged object
// (erased: red) or region (hallucinated: yellow). Returns new RGB bytes; the caller encodes them.
import type { ConsistencyFlag } from './check.ts';
import type { RgbImage } from './image.ts';

export const OVERLAY_COLORS: Readonly<Record<ConsistencyFlag['kind'], readonly [number, number, number]>> = Object.freeze({
  erased: Object.freeze([255, 40, 40] as const),
  hallucinated: Object.freeze([255, 230, 0] as const),
});

export function drawOverlay(image: RgbImage, flags: readonly ConsistencyFlag[], thickness = 2): Uint8Array {
  const { width, height } = image;
  const out = new Uint8Array(image.data);
  const put = (x: number, y: number, c: readonly number[]): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const o = (y * width + x) * 3;
    out[o] = c[0]; out[o + 1] = c[1]; out[o + 2] = c[2];
  };
  for (const f of flags) {
    const c = OVERLAY_COLORS[f.kind];
    const [bx, by, bw, bh] = f.bbox;
    const x1 = bx + bw - 1, y1 = by + bh - 1;
    for (let t = 0; t < thickness; t++) {
      for (let x = bx; x <= x1; x++) { put(x, by + t, c); put(x, y1 - t, c); }
      for (let y = by; y <= y1; y++) { put(bx + t, y, c); put(x1 - t, y, c); }
    }
  }
  return out;
}
