import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import onnxProto from 'onnx-proto';
import { selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import {
  ONNX_METADATA_KEYS, OnnxTranslator, exportGeneratorOnnx, float32ToHalf, fromHalfBits, halfToFloat32, inspectGeneratorOnnx, toHalfBits,
} from '../src/onnx/index.ts';
import { modelHash } from '../src/translate/model-hash.ts';

await selectBackend('cpu');
const generator = new ResnetGenerator({ ngf: 4, nBlocks: 2 }, { seed: 3, initGain: 0.2 });

function input(n: number, h: number, w: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * 3 * h * w }, (_, i) => Math.sin(i * 0.37 + seed) * 0.9);
}

/** Our tfjs generator on NCHW input, returned as NCHW. */
async function tfjsForward(x: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
  const y = tf.tidy(() => tf.transpose(generator.apply(tf.transpose(tf.tensor4d(x, [n, 3, h, w]), [0, 2, 3, 1]) as tf.Tensor4D), [0, 3, 1, 2]));
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('binary16 conversion rounds to nearest even and covers subnormals, overflow and NaN', () => {
  assert.equal(toHalfBits(1), 0x3c00);
  assert.equal(toHalfBits(-2), 0xc000);
  assert.equal(toHalfBits(65504), 0x7bff);
  assert.equal(toHalfBits(65520), 0x7c00); // rounds up to Inf
  assert.equal(toHalfBits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(toHalfBits(2 ** -26), 0x0000);
  assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
  const values = Float32Array.from([0.1, -0.333, 1e-5, 3.14159, 1000.5]);
  const back = halfToFloat32(float32ToHalf(values));
  values.forEach((v, i) => assert.ok(Math.abs(back[i] - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v} -> ${back[i]}`));
});

test('the exported model is opset 17 with the documented ops, dynamic NCHW I/O and metadata', async () => {
  const bytes = await exportGeneratorOnnx(generator);
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  assert.equal(Number(String(model.opsetImport[0].version)), 17);
  assert.equal(model.producerName, 'nightshift');
  const ops = new Set(model.graph!.node!.map((n) => n.opType));
  assert.deepEqual([...ops].sort(), ['Add', 'Conv', 'ConvTranspose', 'InstanceNormalization', 'Pad', 'Relu', 'Tanh']);
  const pads = model.graph!.node!.filter((n) => n.opType === 'Pad');
  assert.ok(pads.every((n) => new TextDecoder().decode(n.attribute!.find((a) => a.name === 'mode')!.s!) === 'reflect'));
  const inspected = inspectGeneratorOnnx(bytes, 'export');
  assert.deepEqual(inspected.input, { name: 'input', type: 'float32', shape: ['batch', 3, 'height', 'width'] });
  assert.deepEqual(inspected.output, { name: 'output', type: 'float32', shape: ['batch', 3, 'height', 'width'] });
  assert.deepEqual(JSON.parse(inspected.metadata[ONNX_METADATA_KEYS.architecture]), { kind: 'ResnetGenerator', inputNc: 3, outputNc: 3, ngf: 4, nBlocks: 2 });
  const hash = modelHash(await generator.stateDict());
  assert.equal(inspected.modelHash, hash);
  assert.equal(inspected.hashSource, 'metadata');
  // The weights come back out bit-exact, under the state_dict names.
  assert.equal(modelHash(inspected.stateDict!), hash);
  assert.deepEqual(inspected.architecture, { inputNc: 3, outputNc: 3, ngf: 4, nBlocks: 2 });
});

test('fp32 ONNX (CPU provider) equals the tfjs generator within 1e-4; dynamic sizes and batch 2', async () => {
  const t = await OnnxTranslator.create(await exportGeneratorOnnx(generator), { provider: 'cpu' });
  for (const [n, h, w] of [[1, 24, 32], [2, 40, 20], [2, 64, 64]] as const) {
    const x = input(n, h, w, n + h);
    const diff = maxAbs(await t.forward(x, [n, 3, h, w]), await tfjsForward(x, n, h, w));
    console.log(`fp32 onnx cpu vs tfjs cpu, ${n}x3x${h}x${w}: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
  }
  t.dispose();
});

test('fp16 ONNX (CPU provider) stays within 0.02 of the fp32 tfjs generator', async () => {
  const bytes = await exportGeneratorOnnx(generator, { precision: 'fp16' });
  const inspected = inspectGeneratorOnnx(bytes, 'fp16');
  assert.equal(inspected.metadata[ONNX_METADATA_KEYS.precision], 'fp16');
  assert.equal(inspected.input.type, 'float32'); // Cast nodes at the ends: float32 I/O
  assert.equal(inspected.modelHash, modelHash(await generator.stateDict())); // the hash of the source weights
  const t = await OnnxTranslator.create(bytes, { provider: 'cpu' });
  const [n, h, w] = [2, 32, 48];
  const x = input(n, h, w, 9);
  const diff = maxAbs(await t.forward(x, [n, 3, h, w]), await tfjsForward(x, n, h, w));
  console.log(`fp16 onnx cpu vs fp32 tfjs cpu, ${n}x3x${h}x${w}: max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff <= 0.02, `max abs diff ${diff}`);
  assert.ok(diff > 1e-6, 'the fp16 model should not be bit-identical to fp32');
  t.dispose();
});
