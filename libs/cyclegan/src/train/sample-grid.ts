/**
 * The training sample picture: real A, fake B, rec A on the first row and real B, fake A, rec B on
 * the second, as a PNG. Values map from [-1, 1] to bytes as the reference's util.tensor2im does
 * ((x + 1) / 2 · 255, truncated).
 */
import sharp from 'sharp';
import type { CycleGanVisuals } from './cyclegan-model.ts';

function toRgbBytes(values: Float32Array, channels: number): Uint8Array {
  const pixels = values.length / channels;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[p * channels + (channels === 1 ? 0 : c)];
      out[p * 3 + c] = Math.min(255, Math.max(0, Math.floor(((v + 1) / 2) * 255)));
    }
  }
  return out;
}

/** The 2x3 grid as raw RGB bytes (width 3·w, height 2·h). */
export function sampleGridPixels(v: CycleGanVisuals): { width: number; height: number; data: Uint8Array } {
  const { width: w, height: h } = v;
  const rows: Array<Array<[Float32Array, number]>> = [
    [[v.realA, v.channelsA], [v.fakeB, v.channelsB], [v.recA, v.channelsA]],
    [[v.realB, v.channelsB], [v.fakeA, v.channelsA], [v.recB, v.channelsB]],
  ];
  const gridW = 3 * w;
  const out = new Uint8Array(gridW * 2 * h * 3);
  rows.forEach((row, r) => {
    row.forEach(([values, channels], col) => {
      const rgb = toRgbBytes(values, channels);
      for (let y = 0; y < h; y++) {
        out.set(rgb.subarray(y * w * 3, (y + 1) * w * 3), ((r * h + y) * gridW + col * w) * 3);
      }
    });
  });
  return { width: gridW, height: 2 * h, data: out };
}

export async function encodeSampleGrid(v: CycleGanVisuals): Promise<Buffer> {
  const { width, height, data } = sampleGridPixels(v);
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
