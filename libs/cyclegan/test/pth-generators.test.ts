// PyTorch .pth generators (fixtures/pth, made by torch.save: CycleGAN ResNets, CUT, pix2pix U-Nets) load and translate as PyTorch does:
// within 1e-4 of PyTorch's own output on the same input, in the tfjs engine and in the onnx engine.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  OnnxTranslator, ResnetGenerator, defineGenerator, UnetGenerator, exportGeneratorOnnx, loadTranslationGenerator, parseSafetensors,
  selectBackend, entryToFloat32, type TranslatorGenerator,
} from '../src/index.ts';
import { FIXTURES } from './helpers.ts';

await selectBackend('cpu');
const PTH = `${FIXTURES}pth/`;
const expected = parseSafetensors(await readFile(`${PTH}expected.safetensors`), 'expected.safetensors');

/** make_fixtures.py fixture_input: x[0, c, h, w] = 0.9 sin(0.131 h + 0.077 w + 1.7 c), NCHW float32. */
function fixtureInput(channels: number, height: number, width: number): Float32Array {
  const x = new Float32Array(channels * height * width);
  let i = 0;
  for (let c = 0; c < channels; c++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0; w < width; w++) x[i++] = 0.9 * Math.sin(0.131 * h + 0.077 * w + 1.7 * c);
    }
  }
  return x;
}

function pytorch(name: string): Float32Array {
  return entryToFloat32(expected.tensors.get(name)!, name);
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** expected.safetensors keeps every 5th row and column of the U-Net outputs (NCHW, square). */
function everyFifth(y: Float32Array, channels: number, size: number): Float32Array {
  const out: number[] = [];
  for (let c = 0; c < channels; c++) for (let h = 0; h < size; h += 5) for (let w = 0; w < size; w += 5) out.push(y[(c * size + h) * size + w]);
  return Float32Array.from(out);
}

/** The generator run in tfjs on an NCHW input, returned NCHW. */
async function tfjsForward(g: TranslatorGenerator, x: Float32Array, shape: [number, number, number, number], run = (t: tf.Tensor4D) => g.apply(t)): Promise<Float32Array> {
  const y = tf.tidy(() => tf.transpose(run(tf.transpose(tf.tensor4d(x, shape), [0, 2, 3, 1]) as tf.Tensor4D), [0, 3, 1, 2]));
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

const RESNETS: Array<[file: string, output: string, architecture: object]> = [
  ['resnet9.pth', 'resnet9', { inputNc: 3, outputNc: 3, ngf: 2, nBlocks: 9 }],
  ['resnet9_legacy.pth', 'resnet9', { inputNc: 3, outputNc: 3, ngf: 2, nBlocks: 9 }],
  ['resnet9_dataparallel.pth', 'resnet9', { inputNc: 3, outputNc: 3, ngf: 2, nBlocks: 9 }],
  ['resnet9_pre04.pth', 'resnet9', { inputNc: 3, outputNc: 3, ngf: 2, nBlocks: 9 }],
  ['resnet6_fp16.pth', 'resnet6_fp16', { inputNc: 3, outputNc: 3, ngf: 3, nBlocks: 6 }],
  ['resnet9_bf16.pth', 'resnet9_bf16', { inputNc: 3, outputNc: 3, ngf: 2, nBlocks: 9 }],
];

test('ResNet generators from .pth equal PyTorch within 1e-4 in the tfjs and onnx engines', async () => {
  const x = fixtureInput(3, 32, 32);
  for (const [file, output, architecture] of RESNETS) {
    const g = await loadTranslationGenerator(PTH + file);
    try {
      assert.ok(g instanceof ResnetGenerator, file);
      assert.deepEqual(g.architecture, architecture, file);
      const tfjsDiff = maxAbs(await tfjsForward(g, x, [1, 3, 32, 32]), pytorch(output));
      const onnx = await OnnxTranslator.create(await exportGeneratorOnnx(g), { provider: 'cpu' });
      const onnxDiff = maxAbs(await onnx.forward(x, [1, 3, 32, 32]), pytorch(output));
      onnx.dispose();
      console.log(`${file}: max abs diff from PyTorch: tfjs ${tfjsDiff.toExponential(2)}, onnx ${onnxDiff.toExponential(2)}`);
      assert.ok(tfjsDiff <= 1e-4 && onnxDiff <= 1e-4, `${file}: tfjs ${tfjsDiff}, onnx ${onnxDiff}`);
    } finally {
      g.dispose();
    }
  }
});

test('CUT generators (anti-aliased ResNet, blur filters read from the file) from .pth equal PyTorch within 1e-4 in the tfjs and onnx engines', async () => {
  const x = fixtureInput(3, 32, 32);
  for (const file of ['cut.pth', 'cut_legacy.pth']) {
    const g = await loadTranslationGenerator(PTH + file);
    try {
      assert.equal(g.kind.name, 'cut-resnet', file);
      assert.deepEqual(g.architecture, { inputNc: 3, outputNc: 3, ngf: 2, nBlocks: 9 }, file);
      // A freshly made CUT generator starts with the filters get_filter makes, as in the file.
      const fresh = defineGenerator('cut-resnet', g.architecture);
      for (const name of ['model.7.filt', 'model.11.filt', 'model.21.filt', 'model.25.filt']) {
        assert.deepEqual(await fresh.variable(name).data(), await g.variable(name).data(), name);
      }
      fresh.dispose();
      const tfjsDiff = maxAbs(await tfjsForward(g, x, [1, 3, 32, 32]), pytorch('cut'));
      const onnx = await OnnxTranslator.create(await exportGeneratorOnnx(g), { provider: 'cpu' });
      const onnxDiff = maxAbs(await onnx.forward(x, [1, 3, 32, 32]), pytorch('cut'));
      onnx.dispose();
      console.log(`${file}: max abs diff from PyTorch: tfjs ${tfjsDiff.toExponential(2)}, onnx ${onnxDiff.toExponential(2)}`);
      assert.ok(tfjsDiff <= 1e-4 && onnxDiff <= 1e-4, `${file}: tfjs ${tfjsDiff}, onnx ${onnxDiff}`);
    } finally {
      g.dispose();
    }
  }
});

const UNETS: Array<[file: string, output: string, numDowns: number, norm: 'batch' | 'instance']> = [
  ['unet256.pth', 'unet256_grid', 8, 'batch'],
  ['unet256_legacy.pth', 'unet256_grid', 8, 'batch'],
  ['unet128.pth', 'unet128_grid', 7, 'batch'],
  ['unet128_instance.pth', 'unet128_instance_grid', 7, 'instance'],
];

test('the pix2pix U-Net-256 and U-Net-128 (batch or instance norm) from .pth equal PyTorch in eval mode within 1e-4 (tfjs)', async () => {
  for (const [file, output, numDowns, norm] of UNETS) {
    const g = await loadTranslationGenerator(PTH + file);
    const size = 2 ** numDowns;
    try {
      assert.ok(g instanceof UnetGenerator, file);
      assert.deepEqual(g.architecture, { inputNc: 3, outputNc: 3, ngf: 1, numDowns, norm, dropout: true });
      const y = await tfjsForward(g, fixtureInput(3, size, size), [1, 3, size, size], (t) => g.forward(t, { batchNorm: 'eval', dropout: 'off' }));
      const diff = maxAbs(everyFifth(y, 3, size), pytorch(output));
      console.log(`${file}: max abs diff from PyTorch (tfjs, eval): ${diff.toExponential(2)}`);
      assert.ok(diff <= 1e-4, `${file}: ${diff}`);
    } finally {
      g.dispose();
    }
  }
});

test('a classifier checkpoint is refused with one line naming the file and what was expected', async () => {
  await assert.rejects(loadTranslationGenerator(`${PTH}classifier.pth`), (e: Error) => {
    assert.equal(e.message.split('\n').length, 1);
    assert.match(e.message, /classifier\.pth: /);
    assert.match(e.message, /conv1\.weight/);
    return true;
  });
});
