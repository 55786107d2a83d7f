import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import {
  Segmenter, SegmenterTrainer, entryToFloat32, normaliseImages, predictTrainIds, readSafetensors, segmentationLoss,
  segmenterLogits, segmenterSpecs, selectBackend, tfToTorchLayout, writeSegmenterOnnx, type SegmenterImage,
} from '../src/index.ts';
import { FIXTURES } from './helpers.ts';

// Made by fixtures/segmenter/make_segmenter_fixture.py (torch 1.13, width 4, depth 2).
const io = await readSafetensors(`${FIXTURES}segmenter/segmenter_torch.safetensors`);
const get = (name: string): { data: Float32Array; shape: number[] } => {
  const e = io.tensors.get(name)!;
  return { data: entryToFloat32(e, io.file), shape: [...e.shape] };
};
const ARCH = { width: 4, depth: 2 };

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const nchwToNhwc = (t: { data: Float32Array; shape: number[] }): tf.Tensor4D =>
  tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]));

function torchSegmenter(): Segmenter {
  const s = new Segmenter(ARCH);
  s.loadStateDict(new Map(segmenterSpecs(ARCH).map((spec) => [spec.name, get(spec.name).data])));
  return s;
}

async function onnxLogits(model: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, shape) });
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Scenes a segmenter can learn in a few steps: sky above, road below, a car-coloured box; some ignored pixels. */
function toyScene(seed: number, width = 32, height = 16): { image: SegmenterImage; label: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height);
  const horizon = 6 + (seed % 3);
  const carX = (seed * 5) % (width - 8);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const car = y >= horizon && y < horizon + 5 && x >= carX && x < carX + 8;
      const [id, rgb] = car ? [13, [200, 30, 40]] : y < horizon ? [10, [90, 140, 220]] : [0, [80, 80, 80]];
      label[y * width + x] = x === 0 ? 255 : id;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.min(255, rgb[c] + ((x * 7 + y * 13 + seed) % 9));
    }
  }
  return { image: { width, height, data }, label };
}

test('the segmenter computes what the PyTorch module computes: logits, cross-entropy with ignore_index 255 (plain and class-weighted), gradients', async () => {
  await selectBackend('cpu');
  const s = torchSegmenter();
  const x = nchwToNhwc(get('input'));
  const labels = tf.tensor3d(Int32Array.from(get('labels').data), get('labels').shape as [number, number, number], 'int32');
  const logits = s.apply(x);
  const expected = nchwToNhwc(get('logits'));
  const logitDiff = tf.max(tf.abs(tf.sub(logits, expected))).dataSync()[0];
  assert.ok(logitDiff <= 1e-4, `logits differ from PyTorch by ${logitDiff}`); // logits reach about 26 (std 0.3 weights)
  const { value, grads } = tf.variableGrads(() => segmentationLoss(s.apply(x), labels), s.variables());
  const torchLoss = get('loss').data[0];
  assert.ok(Math.abs(value.dataSync()[0] - torchLoss) <= 1e-6 * torchLoss, `loss ${value.dataSync()[0]} vs PyTorch ${torchLoss}`);
  const weighted = segmentationLoss(s.apply(x), labels, [...get('class_weights').data]);
  const torchWeighted = get('weighted_loss').data[0];
  assert.ok(Math.abs(weighted.dataSync()[0] - torchWeighted) <= 1e-6 * torchWeighted, `class-weighted loss ${weighted.dataSync()[0]} vs PyTorch ${torchWeighted}`);
  weighted.dispose();
  const ours = await s.stateDict(); // PyTorch layout, to compare gradients in the same layout
  for (const [name, variable] of s.namedVariables()) {
    const spec = s.specs.find((p) => p.name === name)!;
    const g = await grads[variable.name].data() as Float32Array;
    const torchGrad = get(`grad.${name}`).data;
    const diff = maxAbs(tfToTorchLayout(spec, g), torchGrad);
    const scale = Math.max(...torchGrad.map(Math.abs));
    assert.ok(diff <= 1e-5 * Math.max(1, scale), `gradient of ${name}: max diff ${diff} (max |grad| ${scale})`);
  }
  assert.equal(ours.length, s.specs.length);
  tf.dispose([x, labels, logits, expected, value, ...Object.values(grads)]);
  s.dispose();
});

test('the ONNX export of the PyTorch weights gives PyTorch\'s logits within 1e-4', async () => {
  await selectBackend('cpu');
  const s = torchSegmenter();
  const dir = mkdtempSync(join(tmpdir(), 'segmenter-'));
  try {
    const model = await writeSegmenterOnnx(s, join(dir, 'segmenter.onnx'));
    assert.deepEqual(readFileSync(join(dir, 'segmenter.onnx')), Buffer.from(model));
    const input = get('input');
    const diff = maxAbs(await onnxLogits(model, input.data, input.shape), get('logits').data);
    assert.ok(diff <= 1e-4, `ONNX Runtime vs PyTorch: ${diff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    s.dispose();
  }
});

test('a segmenter trained here (wasm, project kernels) learns the toy scenes and its ONNX export gives the same logits within 1e-4', async () => {
  await selectBackend('wasm', { purpose: 'training' });
  const s = new Segmenter({ width: 4, depth: 2 }, { seed: 3 });
  const trainer = new SegmenterTrainer(s);
  const scenes = Array.from({ length: 6 }, (_, i) => toyScene(i));
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    const batch = [scenes[step % 6], scenes[(step + 3) % 6]];
    losses.push(trainer.step({ images: batch.map((b) => b.image), labels: batch.map((b) => b.label), flip: [step % 2 === 0, false] }, 1e-2));
  }
  assert.ok(losses.at(-1)! < 0.5 * losses[0], `loss ${losses[0]} -> ${losses.at(-1)}`);
  const test = toyScene(7);
  const predicted = predictTrainIds(s, test.image);
  let correct = 0, counted = 0;
  test.label.forEach((id, i) => { if (id !== 255) { counted++; if (predicted[i] === id) correct++; } });
  assert.ok(correct / counted > 0.9, `pixel accuracy on a held-out toy scene ${correct / counted}`);

  const dir = mkdtempSync(join(tmpdir(), 'segmenter-'));
  try {
    const model = await writeSegmenterOnnx(s, join(dir, 'segmenter.onnx'));
    const nhwc = segmenterLogits(s, test.image);
    const x = normaliseImages([test.image]);
    const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2])).dataSync() as Float32Array;
    x.dispose();
    const onnx = await onnxLogits(model, nchw, [1, 3, test.image.height, test.image.width]);
    const tfjsNchw = tf.tidy(() => tf.transpose(tf.tensor4d(nhwc, [1, test.image.height, test.image.width, 19]), [0, 3, 1, 2])).dataSync();
    const diff = maxAbs(onnx, tfjsNchw);
    assert.ok(diff <= 1e-4, `ONNX Runtime vs tfjs logits: ${diff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    trainer.dispose();
    s.dispose();
  }
});
