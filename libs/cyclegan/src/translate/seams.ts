/**
 * A seam metric for tiled outputs: the mean absolute step between neighbouring pixels across tile
 * borders, against the same mean over every other pair of neighbours. Seams (colour jumps from
 * per-tile statistics, misaligned tiles) raise the border step; a seamless image has a ratio near 1.
 */
export interface SeamReport {
  /** Mean |a - b| over neighbour pairs that straddle a tile border (rows and columns). */
  readonly borderStep: number;
  /** Mean |a - b| over all other horizontal and vertical neighbour pairs. */
  readonly interiorStep: number;
  /** borderStep / interiorStep. */
  readonly ratio: number;
}

/** For an interleaved image (`channels` values per pixel) cut into `tileSize` tiles from the top left. */
export function seamReport(
  data: ArrayLike<number>, width: number, height: number, channels: number, tileSize: number,
): SeamReport {
  let border = 0;
  let borderN = 0;
  let interior = 0;
  let interiorN = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      for (const [nx, ny, atBorder] of [[x + 1, y, (x + 1) % tileSize === 0], [x, y + 1, (y + 1) % tileSize === 0]] as const) {
        if (nx >= width || ny >= height) continue;
        const j = (ny * width + nx) * channels;
        let d = 0;
        for (let c = 0; c < channels; c++) d += Math.abs(data[i + c] - data[j + c]);
        if (atBorder) { border += d; borderN += channels; } else { interior += d; interiorN += channels; }
      }
    }
  }
  const borderStep = borderN ? border / borderN : 0;
  const interiorStep = interiorN ? interior / interiorN : 0;
  return { borderStep, interiorStep, ratio: interiorStep > 0 ? borderStep / interiorStep : borderStep > 0 ? Infinity : 1 };
}
