// 4-connected components of a binary mask, by flood fill with a typed-array stack. Besides the tight box,
// each component carries the first and second moments of `value` over its pixels: a box and extent
// derived from them move continuously with the values, while the tight box jumps when a pixel at the
// mask threshold flips (one grey level of difference between two engines' translations).
import type { Scratch } from './scratch.ts';

export interface Component {
  /** Box [x0, y0, x1, y1). */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  /** Pixels where `value` > 0. */
  support: number;
  /** Sum of `value` over the component's pixels. */
  sum: number;
  /** Sums of value*x, value*y, value*x^2, value*y^2 (pixel centres at integer coordinates). */
  sx: number;
  sy: number;
  sxx: number;
  syy: number;
}

/**
 * Value-weighted box [x0, y0, x1, y1) of a component: its weighted centre plus and minus half its
 * effective side sqrt(12 var + 1) per axis (the side of a uniform run with that variance), rounded
 * outward, clipped to [0, width) x [0, height). Continuous in the values where the values vanish at the
 * mask edge; the effective sides are returned unrounded.
 */
export function momentBox(c: Component, width: number, height: number): { x0: number; y0: number; x1: number; y1: number; sideX: number; sideY: number } {
  if (!(c.sum > 0)) return { x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1, sideX: 0, sideY: 0 };
  const mx = c.sx / c.sum, my = c.sy / c.sum;
  const sideX = Math.sqrt(Math.max(0, 12 * (c.sxx / c.sum - mx * mx)) + 1);
  const sideY = Math.sqrt(Math.max(0, 12 * (c.syy / c.sum - my * my)) + 1);
  // Pixel i covers [i, i + 1): a uniform run a..a+n-1 has centre a + (n - 1) / 2 and maps back to [a, a + n).
  const x0 = Math.max(0, Math.floor(mx + 0.5 - sideX / 2 + 1e-6)), x1 = Math.min(width, Math.ceil(mx + 0.5 + sideX / 2 - 1e-6));
  const y0 = Math.max(0, Math.floor(my + 0.5 - sideY / 2 + 1e-6)), y1 = Math.min(height, Math.ceil(my + 0.5 + sideY / 2 - 1e-6));
  return { x0, y0, x1: Math.max(x1, x0 + 1), y1: Math.max(y1, y0 + 1), sideX, sideY };
}

/** Labels `mask` (1 = in) into `labelOut` (0 = background, k+1 = component k) and returns the components. */
export function connectedComponents(mask: Uint8Array, width: number, height: number, value: Float32Array, labelOut: Int32Array, scratch: Scratch): Component[] {
  const comps: Component[] = [];
  const stack = scratch.i32Raw(mask.length);
  labelOut.fill(0);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labelOut[start]) continue;
    const label = comps.length + 1;
    const c: Component = { x0: width, y0: height, x1: 0, y1: 0, area: 0, support: 0, sum: 0, sx: 0, sy: 0, sxx: 0, syy: 0 };
    let top = 0;
    stack[top++] = start;
    labelOut[start] = label;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width, y = (i - x) / width;
      const v = value[i];
      c.area++;
      if (v > 0) c.support++;
      c.sum += v;
      c.sx += v * x;
      c.sy += v * y;
      c.sxx += v * x * x;
      c.syy += v * y * y;
      if (x < c.x0) c.x0 = x;
      if (x + 1 > c.x1) c.x1 = x + 1;
      if (y < c.y0) c.y0 = y;
      if (y + 1 > c.y1) c.y1 = y + 1;
      if (x > 0 && mask[i - 1] && !labelOut[i - 1]) { labelOut[i - 1] = label; stack[top++] = i - 1; }
      if (x + 1 < width && mask[i + 1] && !labelOut[i + 1]) { labelOut[i + 1] = label; stack[top++] = i + 1; }
      if (y > 0 && mask[i - width] && !labelOut[i - width]) { labelOut[i - width] = label; stack[top++] = i - width; }
      if (y + 1 < height && mask[i + width] && !labelOut[i + width]) { labelOut[i + width] = label; stack[top++] = i + width; }
    }
    comps.push(c);
  }
  return comps;
}

/**
 * The label (0..255) carrying the most weight over the pixels of component `id` (ids as
 * connectedComponents writes them; `box` bounds the component), lowest label on ties. Weighted rather
 * than counted, so that it moves continuously with the weights.
 */
export function dominantLabel(
  semantic: Uint8Array, ids: Int32Array, id: number, box: { x0: number; y0: number; x1: number; y1: number }, width: number, weight: Float32Array,
): number {
  const totals = new Float64Array(256);
  for (let y = box.y0; y < box.y1; y++) for (let i = y * width + box.x0; i < y * width + box.x1; i++) {
    if (ids[i] === id) totals[semantic[i]] += weight[i];
  }
  let best = 0;
  for (let label = 1; label < 256; label++) if (totals[label] > totals[best]) best = label;
  return best;
}
