// tfjs-backend-webgpu 4.22 fails convolutions with more than 65535 * 32 output pixels per image
// ("Dispatch size exceeds WebGPU limits", 2048x1024 has 2,097,152). The failing kernel is Conv2D
// (Conv2DMMProgram); the whole ResNet generator at 2048x1024 takes minutes on Mesa lavapipe, so this
// test runs the failing kernel itself at 2048x1024 (the size is what triggers it), as a 'valid' conv
// (what the generator's convs are after padding) and a fused conv with explicit padding, and compares with the cpu backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  bandRows, installWebGpuDispatchFix, prepareWebGpu, selectBackend, uninstallWebGpuDispatchFix,
} from '../src/backends/index.ts';

const webgpu = await prepareWebGpu().then(() => true, (e: Error) => e.message);

test('bandRows splits rows evenly under the pixel limit', () => {
  assert.equal(bandRows(1024, 2048, 65535 * 32), 512);
  assert.equal(bandRows(512, 2048, 65535 * 32), 512);
  assert.equal(bandRows(3000, 1000, 1_000_000), 1000);
  assert.equal(bandRows(3001, 1000, 1_000_000), 751);
  assert.ok(bandRows(7, 1_000_000, 1_500_000) === 1);
});

async function onBackend(name: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(name);
  const y = f();
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}

test('webgpu runs 2048x1024 convolutions that stock tfjs-webgpu refuses, matching cpu', { skip: webgpu !== true && `webgpu unavailable: ${webgpu}` }, async () => {
  await selectBackend('cpu');
  // 2048x1024 plus a 1-pixel halo; one input channel keeps the cpu reference and lavapipe fast.
  const x = tf.randomUniform([1, 1026, 2050, 1], -1, 1, 'float32', 7) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 1, 4], 0, 0.1, 'float32', 8) as tf.Tensor4D;
  const b = tf.randomNormal([4], 0, 0.1, 'float32', 9) as tf.Tensor1D;
  const stem = (): tf.Tensor => tf.conv2d(x, w, 1, 'valid');
  const fused = (): tf.Tensor => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: [[0, 0], [0, 1], [1, 0], [0, 0]], activation: 'relu' });
  const cpuStem = await onBackend('cpu', stem);
  const cpuFused = await onBackend('cpu', fused);

  await selectBackend('webgpu');
  uninstallWebGpuDispatchFix();
  try {
    assert.throws(() => tf.tidy(stem), /Dispatch size exceeds WebGPU limits/);
  } finally {
    installWebGpuDispatchFix();
  }
  for (const [what, f, expected] of [['conv2d valid', stem, cpuStem], ['fused conv2d explicit pad+bias+relu', fused, cpuFused]] as const) {
    const got = await onBackend('webgpu', f);
    assert.equal(got.length, expected.length, what);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    console.log(`${what} at 2048x1024: webgpu vs cpu max |diff| = ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `${what}: max difference ${worst}`);
  }
  tf.dispose([x, w, b]);
});
