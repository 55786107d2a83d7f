import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hasFastKernels, mirrorPadBackward, registerFastKernels, registerMirrorPadGradient, unregisterFastKernels,
} from '../src/kernels/index.ts';
import { seededData } from './kernels-reference.ts';

/** Input index that padded index j reads, along an axis of length n with `before` padding. */
function source(j: number, before: number, n: number, mode: 'reflect' | 'symmetric'): number {
  let i = j - before;
  const o = mode === 'reflect' ? 0 : 1;
  if (i < 0) i = -i - o;
  if (i >= n) i = 2 * n - 2 - i + o;
  return i;
}

/** d(sum(mirrorPad(x) * r))/dx by scattering every padded cell back onto the cell it copies. */
function naiveGrad(shape: number[], pads: Array<[number, number]>, mode: 'reflect' | 'symmetric', r: Float32Array): Float64Array {
  const [n, h, w, c] = shape;
  const ph = h + pads[1][0] + pads[1][1], pw = w + pads[2][0] + pads[2][1];
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) for (let k = 0; k < c; k++) {
    const sy = source(y, pads[1][0], h, mode), sx = source(x, pads[2][0], w, mode);
    dx[((b * h + sy) * w + sx) * c + k] += r[((b * ph + y) * pw + x) * c + k];
  }
  return dx;
}

test('MirrorPad gradient folds the reflected border back (reflect and symmetric, uneven pads)', async () => {
  await tf.setBackend('cpu');
  registerMirrorPadGradient();
  const shape = [2, 5, 6, 3];
  const cases: Array<[Array<[number, number]>, 'reflect' | 'symmetric']> = [
    [[[0, 0], [3, 3], [3, 3], [0, 0]], 'reflect'],
    [[[0, 0], [1, 2], [2, 0], [0, 0]], 'reflect'],
    [[[0, 0], [2, 1], [0, 3], [0, 0]], 'symmetric'],
  ];
  const x = tf.tensor4d(seededData(2 * 5 * 6 * 3, 1), shape as [number, number, number, number]);
  for (const [pads, mode] of cases) {
    const padded = [2, 5 + pads[1][0] + pads[1][1], 6 + pads[2][0] + pads[2][1], 3];
    const r = seededData(padded.reduce((a, b) => a * b), 2);
    const expected = naiveGrad(shape, pads, mode, r);
    const viaGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, pads, mode), tf.tensor(r, padded))))(x);
    const direct = mirrorPadBackward(tf.tensor(r, padded), shape, pads, mode);
    for (const got of [viaGrad, direct]) {
      const d = got.dataSync();
      assert.equal(d.length, expected.length);
      for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i] - expected[i]) < 1e-5, `${mode} ${JSON.stringify(pads)} at ${i}: ${d[i]} vs ${expected[i]}`);
    }
  }
});

test('registerFastKernels is idempotent and unregisterFastKernels restores the stock kernels', () => {
  const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc;
  registerFastKernels('cpu');
  const fast = tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc;
  assert.notEqual(fast, stock);
  registerFastKernels('cpu');
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc, fast);
  assert.ok(hasFastKernels('cpu'));
  unregisterFastKernels('cpu');
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc, stock);
  assert.ok(!hasFastKernels('cpu'));
});
