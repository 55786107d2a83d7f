import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  cropImage, paddedSize, reflectPadImage, rgbToUnit, unitToByte, type RgbImage,
} from '../src/translate/index.ts';

const PYTHON = '/usr/bin/python3';
const hasNumpy = existsSync(PYTHON) && (() => {
  try { execFileSync(PYTHON, ['-c', 'import numpy']); return true; } catch { return false; }
})();

// Values that land on and next to integer boundaries after (x+1)/2*255, plus the ends of the range.
function probeValues(): Float32Array {
  const v: number[] = [-1, 1, 0, -0.5, 0.5, 0.999999, -0.999999, 0.0039215684, -0.0039215684];
  for (let k = 0; k <= 255; k += 1) {
    const x = (k / 255) * 2 - 1;
    v.push(x, Math.fround(x + 1e-7), Math.fround(x - 1e-7));
  }
  for (let i = 0; i < 200; i++) v.push(Math.sin(i * 12.9898) * 0.9999);
  return Float32Array.from(v);
}

test('input and output conversions match the reference (ToTensor+Normalize, tensor2im) computed by numpy', { skip: !hasNumpy && 'needs /usr/bin/python3 with numpy' }, () => {
  const values = probeValues();
  const script = [
    'import sys, numpy as np',
    'x = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32)',
    'out = ((x + 1) / 2.0 * 255.0).astype(np.uint8)',
    'v = np.arange(256, dtype=np.uint8).astype(np.float32) / np.float32(255)',
    'inp = ((v - np.float32(0.5)) / np.float32(0.5)).astype(np.float32)',
    'sys.stdout.buffer.write(out.tobytes() + inp.tobytes())',
  ].join('\n');
  const raw = execFileSync(PYTHON, ['-c', script], { input: Buffer.from(values.buffer) });
  const expectedBytes = new Uint8Array(raw.buffer, raw.byteOffset, values.length);
  const expectedInput = new Float32Array(raw.buffer.slice(raw.byteOffset + values.length, raw.byteOffset + values.length + 1024));
  const got = Uint8Array.from(values, unitToByte);
  assert.deepEqual(got, Uint8Array.from(expectedBytes));
  const all: RgbImage = { width: 256, height: 1, data: Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)) };
  const unit = new Float32Array(768);
  rgbToUnit(all, unit);
  for (let v = 0; v < 256; v++) assert.equal(unit[v * 3], expectedInput[v], `input value ${v}`);
});

test('paddedSize rounds up to a multiple of 4, at least 8', () => {
  assert.deepEqual([1, 7, 8, 9, 130, 250, 252, 1024].map(paddedSize), [8, 8, 8, 12, 132, 252, 252, 1024]);
});

test('reflectPadImage mirrors without repeating the edge, cropImage undoes it', () => {
  const im: RgbImage = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i) };
  const p = reflectPadImage(im, 6, 4);
  const px = (x: number, y: number): number[] => [...p.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)];
  const src = (x: number, y: number): number[] => [...im.data.subarray((y * 3 + x) * 3, (y * 3 + x) * 3 + 3)];
  // numpy.pad(..., mode='reflect') along x: 0 1 2 | 1 0 1 ; along y: 0 1 | 0 1
  assert.deepEqual([3, 4, 5].map((x) => px(x, 0)), [1, 0, 1].map((x) => src(x, 0)));
  assert.deepEqual([2, 3].map((y) => px(2, y)), [0, 1].map((y) => src(2, y)));
  assert.deepEqual(cropImage(p, 3, 2), im);
});
