import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_REQUESTS, parseBackendRequest, selectBackend } from '../src/backends/index.ts';

const require = createRequire(import.meta.url);
const tensorflowInstalled = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => {
  try { require.resolve(p); return true; } catch { return false; }
});

test('an unknown backend name is refused with the list of valid ones', async () => {
  assert.deepEqual(BACKEND_REQUESTS, ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
  await assert.rejects(selectBackend('gpu'), { name: 'TypeError', message: 'Unsupported backend "gpu". Should be one of: auto, tensorflow, webgpu, wasm, cpu.' });
  assert.throws(() => parseBackendRequest(3), /Should be one of: auto, tensorflow, webgpu, wasm, cpu/);
});

test('tensorflow without tfjs-node: an explicit request fails with the reason', { skip: tensorflowInstalled && 'tfjs-node is installed here' }, async () => {
  await assert.rejects(selectBackend('tensorflow'), /Backend 'tensorflow' is not available: optional dependency absent \(@tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed\)/);
});

test('auto picks a working backend, makes it active, and says why each other one was not taken', async () => {
  const s = await selectBackend('auto');
  console.log(`auto: ${s.name} - ${s.reason}\n${s.skipped.map((k) => `  skipped ${k.name}: ${k.why}`).join('\n')}`);
  assert.equal(tf.getBackend(), s.name);
  assert.deepEqual([s.name, ...s.skipped.map((k) => k.name)].sort(), ['cpu', 'tensorflow', 'wasm', 'webgpu']);
  if (!tensorflowInstalled) assert.match(s.skipped.find((k) => k.name === 'tensorflow')!.why, /optional dependency absent/);
  assert.ok(s.skipped.every((k) => k.why.length > 0));
  assert.notEqual(s.name, 'cpu', 'wasm works everywhere Node runs, so cpu is never the fastest');
});

test('explicit cpu and wasm work and report their detail', async () => {
  for (const name of ['cpu', 'wasm'] as const) {
    const s = await selectBackend(name);
    assert.equal(s.name, name);
    assert.equal(tf.getBackend(), name);
    assert.match(s.reason, /requested explicitly/);
  }
});
