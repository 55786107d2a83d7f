/**
 * Resizing a frame (or a window of it) for a network that runs at a fixed, smaller size: images by
 * area averaging (each output pixel is the mean of the source area it covers, fractional pixels
 * weighted by their covered fraction: OpenCV's INTER_AREA when shrinking), label maps by the source
 * pixel under each output pixel's centre (labels are never averaged).
 */
import type { RgbImage } from './png.ts';

/** A window of a frame in source pixels; the whole frame by default. */
export interface SourceWindow {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

function checkWindow(what: string, frameW: number, frameH: number, win: SourceWindow, outW: number, outH: number): void {
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) throw new RangeError(`${what}: output size ${outW}x${outH} is not a positive integer size`);
  if (!(win.width > 0 && win.height > 0 && win.x >= 0 && win.y >= 0 && win.x + win.width <= frameW + 1e-9 && win.y + win.height <= frameH + 1e-9)) {
    throw new RangeError(`${what}: window ${win.width}x${win.height} at (${win.x}, ${win.y}) is not inside the ${frameW}x${frameH} frame`);
  }
}

/** Source indices and weights (summing to 1) of each output cell of one axis. */
function areaWeights(start: number, span: number, outSize: number): { index: Int32Array; weight: Float32Array; offsets: Int32Array } {
  const scale = span / outSize;
  const index: number[] = [];
  const weight: number[] = [];
  const offsets = new Int32Array(outSize + 1);
  for (let o = 0; o < outSize; o++) {
    const a = start + o * scale;
    const b = start + (o + 1) * scale;
    for (let i = Math.floor(a); i < b - 1e-9; i++) {
      const covered = Math.min(b, i + 1) - Math.max(a, i);
      if (covered > 1e-9) {
        index.push(i);
        weight.push(covered / scale);
      }
    }
    offsets[o + 1] = index.length;
  }
  return { index: Int32Array.from(index), weight: Float32Array.from(weight), offsets };
}

/** The window of `image` (whole image by default) resized to width x height by area averaging, rounded to 8 bits. */
export function resizeRgbArea(image: RgbImage, width: number, height: number, window?: SourceWindow): RgbImage {
  const win = window ?? { x: 0, y: 0, width: image.width, height: image.height };
  checkWindow('resizeRgbArea', image.width, image.height, win, width, height);
  const xs = areaWeights(win.x, win.width, width);
  const ys = areaWeights(win.y, win.height, height);
  // Rows first (only the source rows the window touches), then columns.
  const y0 = Math.floor(win.y);
  const rows = Math.ceil(win.y + win.height - 1e-9) - y0;
  const across = new Float32Array(rows * width * 3);
  for (let r = 0; r < rows; r++) {
    const src = (y0 + r) * image.width * 3;
    for (let x = 0; x < width; x++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let k = xs.offsets[x]; k < xs.offsets[x + 1]; k++) {
        const p = src + xs.index[k] * 3;
        const w = xs.weight[k];
        s0 += image.data[p] * w;
        s1 += image.data[p + 1] * w;
        s2 += image.data[p + 2] * w;
      }
      const d = (r * width + x) * 3;
      across[d] = s0;
      across[d + 1] = s1;
      across[d + 2] = s2;
    }
  }
  const data = new Uint8Array(width * height * 3);
  // Column pass accumulated in floats, then rounded once.
  const acc = new Float32Array(width * 3);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let k = ys.offsets[y]; k < ys.offsets[y + 1]; k++) {
      const src = (ys.index[k] - y0) * width * 3;
      const w = ys.weight[k];
      for (let i = 0; i < width * 3; i++) acc[i] += across[src + i] * w;
    }
    for (let i = 0; i < width * 3; i++) data[y * width * 3 + i] = Math.min(255, Math.max(0, Math.round(acc[i])));
  }
  return { width, height, data };
}

/** The window of a label map (whole map by default) at width x height: the source value under each output pixel's centre. */
export function resizeLabelsNearest<T extends Uint8Array | Uint16Array>(
  labels: T, frameWidth: number, frameHeight: number, width: number, height: number, window?: SourceWindow,
): T {
  if (labels.length !== frameWidth * frameHeight) throw new RangeError(`resizeLabelsNearest: ${labels.length} values for a ${frameWidth}x${frameHeight} map`);
  const win = window ?? { x: 0, y: 0, width: frameWidth, height: frameHeight };
  checkWindow('resizeLabelsNearest', frameWidth, frameHeight, win, width, height);
  const out = new (labels.constructor as new (n: number) => T)(width * height);
  const col = Int32Array.from({ length: width }, (_, x) => Math.min(frameWidth - 1, Math.floor(win.x + ((x + 0.5) * win.width) / width)));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(frameHeight - 1, Math.floor(win.y + ((y + 0.5) * win.height) / height));
    for (let x = 0; x < width; x++) out[y * width + x] = labels[sy * frameWidth + col[x]];
  }
  return out;
}
