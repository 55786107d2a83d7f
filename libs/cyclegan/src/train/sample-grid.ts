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

/** One panel of a grid: HWC values in [-1, 1] and their channel count. */
export type GridPanel = readonly [Float32Array, number];

/** The 2x3 grid as raw RGB bytes (width 3·w, height 2·h). */
export function sampleGridPixels(v: CycleGanVisuals): { width: number; height: number; data: Uint8Array } {
  return gridPixels([
    [[v.realA, v.channelsA], [v.fakeB, v.channelsB], [v.recA, v.channelsA]],
    [[v.realB, v.channelsB], [v.fakeA, v.channelsA], [v.recB, v.channelsB]],
  ], v.width, v.height);
}

/** Rows of equally sized w x h panels as raw RGB bytes (rows of equal length). */
export function gridPixels(rows: ReadonlyArray<readonly GridPanel[]>, w: number, h: number): { width: number; height: number; data: Uint8Array } {
  const gridW = rows[0].length * w;
  const out = new Uint8Array(gridW * rows.length * h * 3);
  rows.forEach((row, r) => {
    row.forEach(([values, channels], col) => {
      const rgb = toRgbBytes(values, channels);
      for (let y = 0; y < h; y++) {
        out.set(rgb.subarray(y * w * 3, (y + 1) * w * 3), ((r * h + y) * gridW + col * w) * 3);
      }
    });
  });
  return { width: gridW, height: rows.length * h, data: out };
}

export async function encodeSampleGrid(v: CycleGanVisuals): Promise<Buffer> {
  const { width, height, data } = sampleGridPixels(v);
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** gridPixels as a PNG. */
export async function encodeGridPng(rows: ReadonlyArray<readonly GridPanel[]>, w: number, h: number): Promise<Buffer> {
  const { width, height, data } = gridPixels(rows, w, h);
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
