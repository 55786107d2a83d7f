import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerFastKernels, registerMirrorPadGradient } from '../src/kernels/index.ts';
import { prepareWasm } from '../src/backends/index.ts';
import { relativeError, seededData } from './kernels-reference.ts';

// A small network with every layer kind of a CycleGAN generator and discriminator: reflect pad,
// k3/k7 convs, stride-2 conv with explicit padding, instance norm, ReLU, LeakyReLU, the
// transposed conv + crop of PyTorch's ConvTranspose2d(k3, s2, p1, output_padding 1), tanh, and
// L1 + LSGAN losses.
const SHAPES: Record<string, [number, number, number, number]> = {
  x: [2, 12, 12, 3],
  w1: [7, 7, 3, 8], w2: [3, 3, 8, 16], w3: [3, 3, 16, 16], w4: [3, 3, 8, 16], w5: [4, 4, 8, 1],
};
const NAMES = Object.keys(SHAPES);

function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

function loss(x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D, w3: tf.Tensor4D, w4: tf.Tensor4D, w5: tf.Tensor4D): tf.Scalar {
  const reflect = (t: tf.Tensor4D, p: number): tf.Tensor4D => tf.mirrorPad(t, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
  let h = tf.relu(instanceNorm(tf.conv2d(reflect(x, 3), w1, 1, 'valid')));
  h = tf.relu(instanceNorm(tf.conv2d(h, w2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])));
  h = tf.add(h, instanceNorm(tf.conv2d(reflect(h, 1), w3, 1, 'valid')));
  const [n, hh, ww] = h.shape;
  const up = tf.conv2dTranspose(h, w4, [n, 2 * hh + 1, 2 * ww + 1, 8], 2, 'valid');
  const y = tf.tanh(tf.slice(up, [0, 1, 1, 0], [n, 2 * hh, 2 * ww, 8]));
  const d = tf.conv2d(tf.leakyRelu(y, 0.2), w5, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  return tf.add(tf.mean(tf.abs(tf.sub(tf.slice(y, [0, 0, 0, 0], [n, 2 * hh, 2 * ww, 3]), x))), tf.mean(tf.square(tf.sub(d, 1))));
}

async function gradients(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  const args = NAMES.map((k, i) => tf.tensor4d(seededData(SHAPES[k].reduce((a, b) => a * b), 50 + i), SHAPES[k]));
  const grads = tf.grads((...a: tf.Tensor[]) => loss(...(a as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D])))(args);
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose([...args, ...grads]);
  return out;
}

test('tf.grads of a small CycleGAN-like net: cpu (stock kernels) = cpu (fast) = wasm (fast)', async () => {
  registerMirrorPadGradient(); // the same (correct) MirrorPad gradient for all three runs
  const stock = await gradients('cpu');
  registerFastKernels('cpu');
  const cpuFast = await gradients('cpu');
  await prepareWasm();
  registerFastKernels('wasm');
  const wasmFast = await gradients('wasm');
  NAMES.forEach((name, i) => {
    assert.ok(stock[i].some((v) => v !== 0), `gradient for ${name} is all zero`);
    for (const [label, g] of [['cpu fast', cpuFast[i]], ['wasm fast', wasmFast[i]]] as const) {
      const err = relativeError(g, stock[i]);
      assert.ok(err <= 1e-4, `${label} d/d${name}: relative error ${err.toExponential(2)}`);
    }
  });
});

// A generator runs three times per CycleGAN iteration, so each weight meets the input-gradient
// kernel several times before Adam replaces it; wasm keeps the flipped filter while the weight
// lives (and shares saved tensors instead of copying them). Weights after a few such steps must
// still match the cpu backend's.
async function weightsAfterSteps(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  const w1 = tf.variable(tf.tensor4d(seededData(3 * 3 * 4 * 8, 80), [3, 3, 4, 8]));
  const w2 = tf.variable(tf.tensor4d(seededData(3 * 3 * 8 * 8, 81), [3, 3, 8, 8]));
  const inputs = [82, 83, 84].map((seed) => tf.tensor4d(seededData(10 * 10 * 4, seed), [1, 10, 10, 4]));
  const net = (x: tf.Tensor4D): tf.Tensor4D => tf.conv2d(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same')), w2 as tf.Tensor4D, 1, 'same');
  const adam = tf.train.adam(0.05, 0.5, 0.999);
  for (let step = 0; step < 4; step++) {
    const cost = adam.minimize(() => tf.addN(inputs.map((x) => tf.mean(tf.square(tf.sub(net(x), 0.5))))) as tf.Scalar, true, [w1, w2]);
    cost?.dispose();
  }
  const out = [w1, w2].map((w) => w.dataSync() as Float32Array);
  tf.dispose([w1, w2, ...inputs]);
  adam.dispose();
  return out;
}

test('Adam steps through weights used three times per step: wasm (fast) = cpu (fast)', async () => {
  registerMirrorPadGradient();
  registerFastKernels('cpu');
  const cpuBefore = tf.memory().numTensors;
  const cpu = await weightsAfterSteps('cpu');
  const cpuKept = tf.memory().numTensors - cpuBefore; // tfjs's Adam keeps two of its own
  await prepareWasm();
  registerFastKernels('wasm');
  const before = tf.memory().numTensors;
  const wasm = await weightsAfterSteps('wasm');
  assert.equal(tf.memory().numTensors - before, cpuKept, 'wasm keeps more tensors than cpu');
  cpu.forEach((w, i) => {
    const err = relativeError(wasm[i], w);
    assert.ok(err <= 1e-4, `w${i + 1} after 4 steps: relative error ${err.toExponential(2)}`);
  });
});
