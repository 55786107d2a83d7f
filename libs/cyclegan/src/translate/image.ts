/**
 * 8-bit RGB images <-> the generator's [-1, 1] float range, bit-compatible with the reference:
 * input  = Normalize(0.5, 0.5)(ToTensor(img)) = (v / 255 - 0.5) / 0.5, in float32 (data/base_dataset.py);
 * output = ((x + 1) / 2.0 * 255.0).astype(uint8) in float32, which truncates (util/util.py tensor2im).
 */

/** Interleaved 8-bit RGB, row-major: data.length === width * height * 3. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function checkRgbImage(image: RgbImage, where: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${where}: width and height must be positive integers, received ${width}x${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw new RangeError(`${where}: expected ${width * height * 3} bytes of RGB data for ${width}x${height}, received ${data?.length}`);
  }
}

// The 256 possible inputs, each computed with float32 rounding after every operation, as torch does.
const INPUT_LUT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5));

/** Writes an image's values in [-1, 1] (reference preprocessing) into `out` at `offset`. */
export function rgbToUnit(image: RgbImage, out: Float32Array, offset = 0): void {
  const d = image.data;
  for (let i = 0; i < d.length; i++) out[offset + i] = INPUT_LUT[d[i]];
}

/** tensor2im for one value: float32 ((x + 1) / 2 * 255), truncated, clamped to 0..255 for safety. */
export function unitToByte(x: number): number {
  const v = Math.fround(Math.fround(Math.fround(x + 1) / 2) * 255);
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
}

/** tensor2im over `count` values of `src` starting at `offset`. NaN becomes 0 (numpy gives 0 as well). */
export function unitToRgbBytes(src: Float32Array | ArrayLike<number>, offset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = unitToByte(src[offset + i]);
  return out;
}

/** The smallest multiple of 4 that is >= n, at least 8 (the generator's smallest input). */
export function paddedSize(n: number): number {
  return paddedSizeFor(n, 4, 8);
}

/** The smallest multiple of `multiple` that is >= n, at least `min` (a U-Net: 2^numDowns for both). */
export function paddedSizeFor(n: number, multiple: number, min: number): number {
  return Math.max(min, Math.ceil(n / multiple) * multiple);
}

/** The images grouped by padded size (to be batched together), groups in order of first appearance. */
export function groupByPaddedSize(
  images: readonly RgbImage[], padSize: (n: number) => number,
): Array<{ readonly width: number; readonly height: number; readonly indices: number[] }> {
  const groups = new Map<string, { width: number; height: number; indices: number[] }>();
  images.forEach((im, i) => {
    const width = padSize(im.width);
    const height = padSize(im.height);
    const key = `${width}x${height}`;
    const group = groups.get(key) ?? { width, height, indices: [] };
    group.indices.push(i);
    groups.set(key, group);
  });
  return [...groups.values()];
}

function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/**
 * Reflect-pads (numpy 'reflect', edge pixel not repeated) on the bottom and right to `height` x `width`.
 * Reflection keeps the statistics of the image close to the original, unlike zero padding.
 */
export function reflectPadImage(image: RgbImage, width: number, height: number): RgbImage {
  if (width === image.width && height === image.height) return image;
  const out = new Uint8Array(width * height * 3);
  const sw = image.width;
  for (let y = 0; y < height; y++) {
    const sy = reflectIndex(y, image.height);
    const srcRow = sy * sw * 3;
    out.set(image.data.subarray(srcRow, srcRow + sw * 3), y * width * 3);
    for (let x = sw; x < width; x++) {
      const s = srcRow + reflectIndex(x, sw) * 3;
      const d = (y * width + x) * 3;
      out[d] = image.data[s];
      out[d + 1] = image.data[s + 1];
      out[d + 2] = image.data[s + 2];
    }
  }
  return { width, height, data: out };
}

/** The top-left `width` x `height` of an interleaved 3-channel image. */
export function cropImage(image: RgbImage, width: number, height: number): RgbImage {
  if (width === image.width && height === image.height) return image;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    out.set(image.data.subarray(y * image.width * 3, (y * image.width + width) * 3), y * width * 3);
  }
  return { width, height, data: out };
}
