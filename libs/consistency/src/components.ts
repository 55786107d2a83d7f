// 4-connected components of a binary mask, by scanline flood fill with a typed-array stack.

export interface Component {
  /** Box [x0, y0, x1, y1). */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  /** Sum of `value` over the component's pixels. */
  sum: number;
}

/** Labels `mask` (1 = in) into `labelOut` (0 = background, k+1 = component k) and returns the components. */
export function connectedComponents(mask: Uint8Array, width: number, height: number, value: Float32Array, labelOut: Int32Array): Component[] {
  const comps: Component[] = [];
  const stack = new Int32Array(mask.length);
  labelOut.fill(0);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labelOut[start]) continue;
    const label = comps.length + 1;
    const c: Component = { x0: width, y0: height, x1: 0, y1: 0, area: 0, sum: 0 };
    let top = 0;
    stack[top++] = start;
    labelOut[start] = label;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width, y = (i - x) / width;
      c.area++;
      c.sum += value[i];
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
