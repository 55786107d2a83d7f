// COCO RLE of the pixels of one value in a label map, without building a full-size mask.
import type { Box } from '../sample.ts';
import type { Rle } from '../coco/rle.ts';

/**
 * The RLE (column-major, as pycocotools) of `map == value`, scanning only the columns of `bbox`:
 * everything left of the box is one leading run of zeros, everything right of it one trailing run.
 * Gives the same counts as rleEncode of the full mask.
 */
export function valueRle(map: ArrayLike<number>, width: number, height: number, value: number, bbox: Box): Rle {
  const [x0, , w] = bbox;
  const counts: number[] = [];
  let run = x0 * height;
  let current = 0;
  for (let x = x0; x < x0 + w; x++) {
    for (let i = x, end = x + height * width; i < end; i += width) {
      const v = map[i] === value ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  const trailing = (width - x0 - w) * height;
  if (current === 0) run += trailing;
  else if (trailing > 0) {
    counts.push(run);
    run = trailing;
  }
  counts.push(run);
  return { height, width, counts: Uint32Array.from(counts) };
}
