import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's register_all_gradients cannot be imported under Node ESM; the trainer's module registers the same configs.
import '../src/train/register-gradients.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PatchDiscriminator, ResnetGenerator, convTranspose2dUp, instanceNorm } from '../src/index.ts';
import { maxAbsDiff } from './helpers.ts';

const tiny = { ngf: 4, nBlocks: 1, inputNc: 3, outputNc: 3 };

test('initialisation: same seed same weights, N(0, 0.02) weights, zero biases', async () => {
  const a = new ResnetGenerator({ ngf: 16, nBlocks: 2 }, { seed: 5 });
  const b = new ResnetGenerator({ ngf: 16, nBlocks: 2 }, { seed: 5 });
  const c = new ResnetGenerator({ ngf: 16, nBlocks: 2 }, { seed: 6 });
  try {
    assert.notEqual(a.scope, b.scope); // both hold `model.1.weight` without a registry clash
    const [sa, sb, sc] = await Promise.all([a.stateDict(), b.stateDict(), c.stateDict()]);
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa[0].data, sc[0].data);
    const weights = sa.filter((t) => t.name.endsWith('.weight')).flatMap((t) => [...t.data]);
    const mean = weights.reduce((x, y) => x + y, 0) / weights.length;
    const std = Math.sqrt(weights.reduce((x, y) => x + (y - mean) ** 2, 0) / weights.length);
    assert.ok(Math.abs(mean) < 0.001 && Math.abs(std - 0.02) < 0.0005, `mean ${mean} std ${std}`);
    assert.ok(sa.filter((t) => t.name.endsWith('.bias')).every((t) => t.data.every((v) => v === 0)));
  } finally {
    [a, b, c].forEach((n) => n.dispose());
  }
});

test('generator keeps the size, outputs tanh range, keeps samples independent', () => {
  const g = new ResnetGenerator(tiny, { seed: 1, initGain: 0.5 });
  try {
    const x = tf.randomUniform([2, 16, 20, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const y = g.apply(x);
    assert.deepEqual(y.shape, [2, 16, 20, 3]);
    const values = y.dataSync();
    assert.ok(values.every((v) => v >= -1 && v <= 1));
    // instance norm: each sample's output depends on that sample only
    const first = g.apply(tf.slice(x, [0, 0, 0, 0], [1, 16, 20, 3]));
    assert.ok(maxAbsDiff(first, tf.slice(y, [0, 0, 0, 0], [1, 16, 20, 3])) < 1e-5);
    tf.dispose([x, y, first]);
  } finally {
    g.dispose();
  }
});

test('inputs are validated with messages that say what to change', () => {
  const g = new ResnetGenerator(tiny);
  const d = new PatchDiscriminator({ ndf: 4, nLayers: 3 });
  try {
    assert.throws(() => g.apply(tf.zeros([1, 16, 18, 3])), /multiples of 4 and at least 8, received 18x16/);
    assert.throws(() => g.apply(tf.zeros([1, 16, 16, 1])), /expected 3 input channels \(NHWC\) but received 1/);
    assert.throws(() => d.apply(tf.zeros([1, 16, 16, 3])), /too small for 3 layers/);
    assert.deepEqual(d.outputShape(256, 256), [30, 30]); // the 70x70 PatchGAN's 30x30 map at 256
  } finally {
    g.dispose();
    d.dispose();
  }
});

test('ConvTranspose2d(k3,s2,p1,op1) equals the scatter definition', () => {
  // out[2i-1+ki, 2j-1+kj] += x[i,j] * w[ki,kj] on a 2H x 2W grid, i.e. PyTorch's definition.
  const [h, w] = [3, 2];
  const x = tf.randomNormal([1, h, w, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, 1, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  const xv = x.dataSync();
  const kv = k.dataSync();
  const expected = new Float32Array(4 * h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let ki = 0; ki < 3; ki++) {
        for (let kj = 0; kj < 3; kj++) {
          const [r, c] = [2 * i - 1 + ki, 2 * j - 1 + kj];
          if (r >= 0 && r < 2 * h && c >= 0 && c < 2 * w) expected[r * 2 * w + c] += xv[i * w + j] * kv[ki * 3 + kj];
        }
      }
    }
  }
  const y = convTranspose2dUp(x, k, tf.zeros([1]));
  assert.deepEqual(y.shape, [1, 2 * h, 2 * w, 1]);
  assert.ok(maxAbsDiff(y, tf.tensor4d(expected, [1, 2 * h, 2 * w, 1])) < 1e-5);
});

test('instance norm: biased variance over H and W, eps 1e-5', () => {
  const x = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]); // channel 0: 1,3,10,30 ; channel 1: 2,4,20,40
  const y = instanceNorm(x).dataSync();
  const check = (vals: number[], got: number[]) => {
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
    vals.forEach((val, i) => assert.ok(Math.abs((val - m) / Math.sqrt(v + 1e-5) - got[i]) < 1e-5));
  };
  check([1, 3, 10, 30], [y[0], y[2], y[4], y[6]]);
  check([2, 4, 20, 40], [y[1], y[3], y[5], y[7]]);
});

test('gradients reach every parameter of G and D', () => {
  const g = new ResnetGenerator(tiny, { seed: 2 });
  const d = new PatchDiscriminator({ ndf: 4, nLayers: 2, inputNc: 3 }, { seed: 3 });
  try {
    const x = tf.randomUniform([1, 24, 24, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(d.apply(g.apply(x)))) as tf.Scalar, [...g.variables(), ...d.variables()]);
    assert.equal(Object.keys(grads).length, g.variables().length + d.variables().length);
    const head = grads[g.variable('model.18.weight').name];
    assert.ok(tf.max(tf.abs(head)).dataSync()[0] > 0);
    tf.dispose([x, ...Object.values(grads)]);
  } finally {
    g.dispose();
    d.dispose();
  }
});

test('apply, state_dict import and dispose leak no tensors', async () => {
  const before = tf.memory().numTensors;
  const g = new ResnetGenerator(tiny, { seed: 9 });
  const d = new PatchDiscriminator({ ndf: 4, nLayers: 2 }, { seed: 9 });
  const created = tf.memory().numTensors;
  assert.equal(created - before, g.variables().length + d.variables().length);
  const x = tf.zeros([1, 24, 24, 3]) as tf.Tensor4D;
  tf.dispose([g.apply(x), d.apply(x)]);
  g.loadStateDict(new Map((await g.stateDict()).map((t) => [t.name, t.data])));
  assert.equal(tf.memory().numTensors, created + 1);
  x.dispose();
  g.dispose();
  d.dispose();
  assert.equal(tf.memory().numTensors, before);
});
