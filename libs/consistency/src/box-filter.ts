// Separable box mean with a window of (2r+1)^2 clipped at the borders (each output is the mean of the
// window pixels that exist). Running sums: cost is independent of r.

/** Writes the box mean of `src` (width x height) into `dst`; `tmp` is scratch of the same size. */
export function boxMean(src: Float32Array, width: number, height: number, r: number, dst: Float32Array, tmp: Float32Array): void {
  // Horizontal pass into tmp (sums, not means).
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    const first = Math.min(r, width - 1);
    for (let x = 0; x <= first; x++) acc += src[row + x];
    for (let x = 0; x < width; x++) {
      tmp[row + x] = acc;
      const add = x + r + 1, sub = x - r;
      if (add < width) acc += src[row + add];
      if (sub >= 0) acc -= src[row + sub];
    }
  }
  // Vertical pass, row by row with a running column sum (cache friendly), then divide by the count.
  const col = new Float64Array(width);
  const firstRows = Math.min(r, height - 1);
  for (let y = 0; y <= firstRows; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) col[x] += tmp[row + x];
  }
  const countX = new Float32Array(width);
  for (let x = 0; x < width; x++) countX[x] = Math.min(width - 1, x + r) - Math.max(0, x - r) + 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const countY = Math.min(height - 1, y + r) - Math.max(0, y - r) + 1;
    for (let x = 0; x < width; x++) dst[row + x] = col[x] / (countY * countX[x]);
    const add = y + r + 1, sub = y - r;
    if (add < height) {
      const ra = add * width;
      for (let x = 0; x < width; x++) col[x] += tmp[ra + x];
    }
    if (sub >= 0) {
      const rs = sub * width;
      for (let x = 0; x < width; x++) col[x] -= tmp[rs + x];
    }
  }
}
