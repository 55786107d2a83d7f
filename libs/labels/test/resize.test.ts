import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resizeLabelsNearest, resizeRgbArea } from '../src/resize.ts';
import { runPythonCode } from './helpers/cityscapes.ts';

// Exact area averaging by supersampling: every source pixel repeated KxK times (numpy), so that the
// window's fractional edges fall on whole sub-pixels, then each output pixel the plain mean of its block.
const SUPERSAMPLED = `
import sys, numpy as np
w, h, ow, oh, k = map(int, sys.argv[1:6]); x0, y0, x1, y1 = (round(float(v) * k) for v in sys.argv[6:10])
a = np.frombuffer(bytes.fromhex(sys.argv[10]), dtype=np.uint8).reshape(h, w, 3).astype(np.float64)
big = np.repeat(np.repeat(a, k, 0), k, 1)[y0:y1, x0:x1]
assert (y1 - y0) % oh == 0 and (x1 - x0) % ow == 0, 'window not a whole number of sub-pixels per output pixel'
out = big.reshape(oh, (y1 - y0) // oh, ow, (x1 - x0) // ow, 3).mean(axis=(1, 3))
print(np.round(out).astype(np.uint8).tobytes().hex())
`;
// Pillow's reduce(k): the mean of each kxk block.
const PIL_REDUCE = `
import sys, numpy as np
from PIL import Image
w, h, k = map(int, sys.argv[1:4])
a = np.frombuffer(bytes.fromhex(sys.argv[4]), dtype=np.uint8).reshape(h, w, 3)
print(np.asarray(Image.fromarray(a, 'RGB').reduce(k)).tobytes().hex())
`;

function randomImage(width: number, height: number, seed: number): { width: number; height: number; data: Uint8Array } {
  let s = seed;
  const data = Uint8Array.from({ length: width * height * 3 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
  return { width, height, data };
}

const hexOf = (data: Uint8Array): string => Buffer.from(data).toString('hex');
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.trim(), 'hex'));

function worstDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

test('area resizing equals exact supersampled area means (numpy) within one level, whole frames and fractional windows', () => {
  const image = randomImage(37, 23, 5);
  for (const [ow, oh, k, win] of [
    [16, 10, 80, { x: 0, y: 0, width: 37, height: 23 }],
    [12, 8, 20, { x: 3.5, y: 2.25, width: 16.8, height: 10.4 }],
    [5, 4, 10, { x: 0, y: 0, width: 37, height: 11.6 }],
  ] as const) {
    const ours = resizeRgbArea(image, ow, oh, win);
    const args = [image.width, image.height, ow, oh, k, win.x, win.y, win.x + win.width, win.y + win.height].map(String);
    const reference = fromHex(runPythonCode(SUPERSAMPLED, [...args, hexOf(image.data)]));
    const worst = worstDifference(ours.data, reference);
    assert.ok(worst <= 1, `${ow}x${oh} from ${JSON.stringify(win)}: differs from the supersampled means by up to ${worst}`);
  }
  assert.deepEqual(resizeRgbArea(image, 37, 23).data, image.data, 'same size is the identity');
});

test('shrinking by a whole factor equals Pillow\'s reduce within one level', () => {
  const image = randomImage(36, 24, 9);
  for (const k of [2, 3]) {
    const pil = fromHex(runPythonCode(PIL_REDUCE, [String(image.width), String(image.height), String(k), hexOf(image.data)]));
    const worst = worstDifference(resizeRgbArea(image, 36 / k, 24 / k).data, pil);
    assert.ok(worst <= 1, `factor ${k}: differs from Pillow by up to ${worst}`);
  }
});

test('a 2x2 block shrinks to its exact mean; labels take the pixel under each output centre', () => {
  const image = { width: 4, height: 2, data: Uint8Array.from([0, 0, 0, 10, 20, 30, 100, 100, 100, 50, 50, 50, 2, 4, 6, 20, 40, 60, 100, 100, 100, 54, 54, 54]) };
  assert.deepEqual([...resizeRgbArea(image, 2, 1).data], [8, 16, 24, 76, 76, 76]);
  const labels = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // 4x3
  assert.deepEqual([...resizeLabelsNearest(labels, 4, 3, 2, 1)], [6, 8]);
  assert.deepEqual([...resizeLabelsNearest(labels, 4, 3, 2, 2, { x: 2, y: 1, width: 2, height: 2 })], [7, 8, 11, 12]);
});

test('a window outside the frame or a bad size is refused with what is wrong', () => {
  const image = randomImage(8, 4, 1);
  assert.throws(() => resizeRgbArea(image, 4, 2, { x: 5, y: 0, width: 4, height: 4 }), /window 4x4 at \(5, 0\) is not inside the 8x4 frame/);
  assert.throws(() => resizeRgbArea(image, 0, 2), /output size 0x2/);
  assert.throws(() => resizeLabelsNearest(new Uint8Array(5), 8, 4, 4, 2), /5 values for a 8x4 map/);
});
