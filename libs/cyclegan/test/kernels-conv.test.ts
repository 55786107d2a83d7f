import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { registerFastKernels } from '../src/kernels/index.ts';
import { prepareWasm } from '../src/backends/index.ts';
import { CONV_CASES, naiveGeometry } from './kernels-cases.ts';
import type { ConvCase } from './kernels-cases.ts';
import {
  naiveBackpropFilter, naiveBackpropInput, naiveConv2d, relativeError, seededData,
} from './kernels-reference.ts';

const TOLERANCE = 1e-4;

interface Results { forward: Float32Array; backpropInput: Float32Array; backpropFilter: Float32Array }

type Shape4 = [number, number, number, number];

function inputs(c: ConvCase, i: number): { x: Float32Array; w: Float32Array; dy: Float32Array; dyShape: Shape4 } {
  const g = naiveGeometry(c);
  const dyShape: Shape4 = [c.x[0], g.outH, g.outW, c.w[3]];
  return {
    x: seededData(c.x.reduce((a, b) => a * b), 10 + i),
    w: seededData(c.w.reduce((a, b) => a * b), 20 + i),
    dy: seededData(dyShape.reduce((a, b) => a * b), 30 + i),
    dyShape,
  };
}

/** The three convolution kernels of one case on the current backend. */
function runCase(c: ConvCase, i: number): Results {
  const d = inputs(c, i);
  return tf.tidy(() => {
    const x = tf.tensor4d(d.x, c.x);
    const w = tf.tensor4d(d.w, c.w);
    const dy = tf.tensor4d(d.dy, d.dyShape);
    const forward = tf.conv2d(x, w, c.stride, c.pad);
    const backpropInput = tf.conv2dTranspose(dy, w, c.x, c.stride, c.pad);
    const backpropFilter = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
      { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.w }) as tf.Tensor;
    return {
      forward: forward.dataSync() as Float32Array,
      backpropInput: backpropInput.dataSync() as Float32Array,
      backpropFilter: backpropFilter.dataSync() as Float32Array,
    };
  });
}

function naive(c: ConvCase, i: number): { forward: Float64Array; backpropInput: Float64Array; backpropFilter: Float64Array } {
  const d = inputs(c, i);
  const g = naiveGeometry(c);
  return {
    forward: naiveConv2d(g, d.x, d.w),
    backpropInput: naiveBackpropInput(g, d.dy, d.w),
    backpropFilter: naiveBackpropFilter(g, d.x, d.dy),
  };
}

function assertClose(actual: Results, expected: Record<keyof Results, ArrayLike<number>>, what: string): void {
  for (const k of ['forward', 'backpropInput', 'backpropFilter'] as const) {
    const err = relativeError(actual[k], expected[k]);
    assert.ok(err <= TOLERANCE, `${what} ${k}: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
  }
}

const stockCpu: Results[] = [];

before(async () => {
  // tfjs's own cpu kernels first, before anything is replaced.
  await tf.setBackend('cpu');
  CONV_CASES.forEach((c, i) => stockCpu.push(runCase(c, i)));
});

test('the naive reference loops agree with stock tfjs-cpu (checks the test itself)', () => {
  CONV_CASES.forEach((c, i) => assertClose(stockCpu[i], naive(c, i), `stock cpu, ${c.name}:`));
});

test('cpu fast kernels match stock tfjs-cpu and the naive loops', async () => {
  registerFastKernels('cpu');
  await tf.setBackend('cpu');
  CONV_CASES.forEach((c, i) => {
    const fast = runCase(c, i);
    assertClose(fast, stockCpu[i], `cpu fast vs stock, ${c.name}:`);
    assertClose(fast, naive(c, i), `cpu fast vs naive, ${c.name}:`);
  });
});

test('wasm fast kernels (Conv2DBackpropFilter is missing from stock wasm) match stock tfjs-cpu', async () => {
  await prepareWasm();
  registerFastKernels('wasm');
  assert.ok(await tf.setBackend('wasm'));
  CONV_CASES.forEach((c, i) => {
    const fast = runCase(c, i);
    assertClose(fast, stockCpu[i], `wasm fast vs stock cpu, ${c.name}:`);
    assertClose(fast, naive(c, i), `wasm fast vs naive, ${c.name}:`);
  });
});

test('wasm fast kernels do not leak tensors or wasm buffers', async () => {
  await tf.setBackend('wasm');
  runCase(CONV_CASES[2], 2);
  const before = tf.memory();
  for (const [i, c] of CONV_CASES.entries()) runCase(c, i);
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numDataBuffers, before.numDataBuffers);
});

test('patch matrices above the 8 MB chunk limit are processed in chunks with the same result', async () => {
  // e.g. 54x54 outputs x 784 patch entries = 2.3 M numbers: two chunks. Stock tfjs-cpu would take
  // seconds here, so only the naive loops serve as reference.
  // The stride-2 cases take both orientations of wasm's col2im product (more pixels than patch
  // entries, and fewer).
  const cases: ConvCase[] = [
    { name: 'k7 s1 valid 16->8 at 60x60', x: [1, 60, 60, 16], w: [7, 7, 16, 8], stride: 1, pad: 'valid' },
    { name: 'k4 s2 pad 1 64->2 at 96x96', x: [1, 96, 96, 64], w: [4, 4, 64, 2], stride: 2, pad: 1 },
    { name: 'k4 s2 pad 1 128->2 at 72x72', x: [1, 72, 72, 128], w: [4, 4, 128, 2], stride: 2, pad: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    const expected = naive(c, 90 + i);
    for (const backend of ['cpu', 'wasm'] as const) {
      registerFastKernels(backend);
      await tf.setBackend(backend);
      assertClose(runCase(c, 90 + i), expected, `${backend} fast, ${c.name}:`);
    }
  }
});
