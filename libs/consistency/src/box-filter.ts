// Separable box mean with a window of (2r+1)^2 clipped at the borders (each output is the mean of the
// window pixels that exist). Running sums: cost is independent of r. The loops are split into border
// and interior parts so that the interior runs without bounds tests.

/** Writes the box mean of `src` (width x height) into `dst`; `tmp` is scratch of the same size. */
export function boxMean(src: Float32Array, width: number, height: number, r: number, dst: Float32Array, tmp: Float32Array): void {
  const invX = new Float64Array(width);
  for (let x = 0; x < width; x++) invX[x] = 1 / (Math.min(width - 1, x + r) - Math.max(0, x - r) + 1);
  // Horizontal pass into tmp: window means along x.
  const lead = Math.min(r, width - 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    for (let x = 0; x <= lead; x++) acc += src[row + x];
    let x = 0;
    // Window start clipped at 0 while x < r; both ends inside while r <= x < width - r - 1.
    const left = Math.min(r, width);
    for (; x < left; x++) {
      tmp[row + x] = acc * invX[x];
      if (x + r + 1 < width) acc += src[row + x + r + 1];
    }
    const mid = width - r - 1, inner = 1 / (2 * r + 1);
    for (; x < mid; x++) {
      tmp[row + x] = acc * inner;
      acc += src[row + x + r + 1] - src[row + x - r];
    }
    for (; x < width; x++) {
      tmp[row + x] = acc * invX[x];
      if (x + r + 1 < width) acc += src[row + x + r + 1];
      if (x - r >= 0) acc -= src[row + x - r];
    }
  }
  // Vertical pass, row by row with a running column sum (cache friendly).
  const col = new Float64Array(width);
  const firstRows = Math.min(r, height - 1);
  for (let y = 0; y <= firstRows; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) col[x] += tmp[row + x];
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const inv = 1 / (Math.min(height - 1, y + r) - Math.max(0, y - r) + 1);
    const add = y + r + 1, sub = y - r;
    const ra = add * width, rs = sub * width;
    if (add < height && sub >= 0) {
      for (let x = 0; x < width; x++) {
        const c = col[x];
        dst[row + x] = c * inv;
        col[x] = c + tmp[ra + x] - tmp[rs + x];
      }
      continue;
    }
    for (let x = 0; x < width; x++) dst[row + x] = col[x] * inv;
    if (add < height) for (let x = 0; x < width; x++) col[x] += tmp[ra + x];
    if (sub >= 0) for (let x = 0; x < width; x++) col[x] -= tmp[rs + x];
  }
}
