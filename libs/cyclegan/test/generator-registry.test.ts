// A generator kind added as every kind is: one step table and one registry line. It then has
// PyTorch's state_dict keys and outputs, runs in the tfjs engine (whole and tiled) and, exported to
// ONNX, in the onnx engine (whole and tiled), with no other code written for it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  Generator, OnnxTranslator, TfjsTranslator, defineGenerator, exportGeneratorOnnx, generatorKind, inspectGeneratorOnnx,
  registerGeneratorKind, selectBackend, sequential, ONNX_METADATA_KEYS,
  type BaseGeneratorArchitecture, type GeneratorKind, type RgbImage, type SequentialModule,
} from '../src/index.ts';

await selectBackend('cpu');

const conv = (inC: number, outC: number, stride: 1 | 2, zeroPad: number): SequentialModule =>
  (name) => ({ op: 'conv', name, inC, outC, kernel: 3, stride, zeroPad, bias: true });
const pad: SequentialModule = (name) => ({ op: 'reflect-pad', name, size: 1 });
const norm = (channels: number): SequentialModule => () => ({ op: 'instance-norm', channels });
const relu: SequentialModule = () => ({ op: 'relu' });

/** model = [Pad, Conv3, IN, ReLU, Conv3 s2, IN, ReLU, Block, ConvT3 s2, IN, ReLU, Pad, Conv3, Tanh]. */
const TOY: GeneratorKind<BaseGeneratorArchitecture> = {
  name: 'toy',
  className: 'ToyGenerator',
  description: 'a toy generator',
  resolve: (options) => ({ inputNc: 3, outputNc: 3, ngf: 4, ...options }),
  steps: ({ inputNc, outputNc, ngf }) => sequential('model', [
    pad, conv(inputNc, ngf, 1, 0), norm(ngf), relu,
    conv(ngf, 2 * ngf, 2, 1), norm(2 * ngf), relu,
    (name) => [{ op: 'save' }, ...sequential(`${name}.conv_block`, [pad, conv(2 * ngf, 2 * ngf, 1, 0), norm(2 * ngf)]), { op: 'add-saved', name }],
    (name) => ({ op: 'conv-transpose-up', name, inC: 2 * ngf, outC: ngf, kernel: 3, bias: true }), norm(ngf), relu,
    pad, conv(ngf, outputNc, 1, 0), () => ({ op: 'tanh' }),
  ]),
  inputSize: () => ({ multiple: 4, min: 8, rule: 'multiples of 4 and at least 8' }),
  onnx: { graphName: ({ ngf }) => `toy_ngf${ngf}`, doc: 'a toy generator' },
};

registerGeneratorKind(TOY);

/** The same network in PyTorch, loaded with our state_dict (strict), run on x: keys, shapes, output. */
const TORCH_TOY = `
import json, sys, numpy as np, torch, torch.nn as nn
class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv_block = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))
    def forward(self, x):
        return x + self.conv_block(x)
class Toy(nn.Module):
    def __init__(self, ngf):
        super().__init__()
        self.model = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(3, ngf, 3), nn.InstanceNorm2d(ngf), nn.ReLU(True),
            nn.Conv2d(ngf, 2 * ngf, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * ngf), nn.ReLU(True),
            Block(2 * ngf),
            nn.ConvTranspose2d(2 * ngf, ngf, 3, stride=2, padding=1, output_padding=1), nn.InstanceNorm2d(ngf), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(ngf, 3, 3), nn.Tanh())
    def forward(self, x):
        return self.model(x)
header = json.loads(sys.stdin.buffer.readline())
data = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32)
net = Toy(header['ngf'])
state, at = {}, 0
for name, shape in header['tensors']:
    n = int(np.prod(shape))
    state[name] = torch.from_numpy(data[at:at + n].copy()).reshape(shape)
    at += n
net.load_state_dict(state, strict=True)
x = torch.from_numpy(data[at:].copy()).reshape(header['input'])
with torch.no_grad():
    y = net(x).numpy().astype(np.float32)
keys = [[k, list(v.shape)] for k, v in net.state_dict().items()]
sys.stdout.buffer.write((json.dumps(keys) + '\\n').encode() + y.tobytes())
`;

const PYTHON = '/usr/bin/python3';
const hasTorch = existsSync(PYTHON) && (() => {
  try { execFileSync(PYTHON, ['-c', 'import torch, numpy']); return true; } catch { return false; }
})();

function input(n: number, c: number, h: number, w: number): Float32Array {
  return Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.29 + 0.4) * 0.9);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The generator run in tfjs on an NCHW input, returned NCHW. */
async function tfjsForward(g: Generator, x: Float32Array, shape: [number, number, number, number]): Promise<Float32Array> {
  const y = tf.tidy(() => tf.transpose(g.apply(tf.transpose(tf.tensor4d(x, shape), [0, 2, 3, 1]) as tf.Tensor4D), [0, 3, 1, 2]));
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

function image(width: number, height: number): RgbImage {
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + (i % 7) * 11) % 256) };
}

test('a registered kind is made by defineGenerator, and names and registration errors are clear', () => {
  assert.equal(generatorKind('toy'), TOY);
  assert.throws(() => registerGeneratorKind(TOY), /Generator kind "toy" \(ToyGenerator\) is already registered/);
  assert.throws(() => defineGenerator('toyy'), /Unknown generator kind "toyy"; valid kinds are: resnet, unet, cut-resnet, bilateral, toy/);
  const g = defineGenerator('toy', { ngf: 2 }, { name: 'toy_names' });
  try {
    assert.ok(g instanceof Generator);
    assert.equal(g.kind, TOY);
    assert.deepEqual(g.specs.map((s) => s.name), [
      'model.1.weight', 'model.1.bias', 'model.4.weight', 'model.4.bias', 'model.7.conv_block.1.weight', 'model.7.conv_block.1.bias',
      'model.8.weight', 'model.8.bias', 'model.12.weight', 'model.12.bias',
    ]);
    assert.throws(() => g.apply(tf.zeros([1, 10, 8, 3]) as tf.Tensor4D), /toy_names\.apply: height and width must be multiples of 4 and at least 8, received 8x10/);
  } finally {
    g.dispose();
  }
});

test('the toy kind equals PyTorch: the same state_dict keys and shapes, outputs within 1e-5', { skip: !hasTorch && 'needs /usr/bin/python3 with torch' }, async () => {
  const g = defineGenerator('toy', { ngf: 4 }, { seed: 2, initGain: 0.3, name: 'toy_torch' });
  try {
    const shape: [number, number, number, number] = [2, 3, 16, 20];
    const x = input(...shape);
    const stateDict = await g.stateDict();
    const header = JSON.stringify({ ngf: 4, input: shape, tensors: stateDict.map((t) => [t.name, t.shape]) });
    const body = Buffer.concat([Buffer.from(`${header}\n`), ...stateDict.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), Buffer.from(x.buffer)]);
    const out = execFileSync(PYTHON, ['-c', TORCH_TOY], { input: body, maxBuffer: 1 << 26 });
    const newline = out.indexOf(10);
    assert.deepEqual(JSON.parse(out.subarray(0, newline).toString()), stateDict.map((t) => [t.name, [...t.shape]]));
    const expected = new Float32Array(out.buffer.slice(out.byteOffset + newline + 1, out.byteOffset + out.byteLength));
    const diff = maxAbs(await tfjsForward(g, x, shape), expected);
    assert.ok(diff <= 1e-5, `max abs diff from PyTorch ${diff}`);
  } finally {
    g.dispose();
  }
});

test('the toy kind runs in both engines, whole and tiled, from its ONNX export', async () => {
  const g = defineGenerator('toy', { ngf: 4 }, { seed: 5, initGain: 0.3, name: 'toy_engines' });
  const bytes = await exportGeneratorOnnx(g);
  const inspected = inspectGeneratorOnnx(bytes, 'toy.onnx');
  assert.equal(inspected.kind, TOY);
  assert.deepEqual(inspected.architecture, { inputNc: 3, outputNc: 3, ngf: 4 });
  assert.deepEqual(JSON.parse(inspected.metadata[ONNX_METADATA_KEYS.architecture]), { kind: 'ToyGenerator', inputNc: 3, outputNc: 3, ngf: 4 });
  assert.deepEqual(inspected.stateDict!.map((t) => t.name), g.specs.map((s) => s.name));

  const shape: [number, number, number, number] = [1, 3, 12, 16];
  const x = input(...shape);
  const onnx = await OnnxTranslator.create(bytes, { provider: 'cpu' });
  const onnxTiled = await OnnxTranslator.create(bytes, { provider: 'cpu', tiling: 'always', tileSize: 8 });
  const tfjs = await TfjsTranslator.create(g, { ownsGenerator: true });
  const tfjsTiled = await TfjsTranslator.create(g, { tiling: 'always', tileSize: 8 });
  try {
    assert.ok(maxAbs(await onnx.forward(x, shape), await tfjsForward(g, x, shape)) <= 1e-5);
    assert.equal(tfjs.info.generator, 'toy');
    const images = [image(30, 22), image(13, 9)];
    const whole = await tfjs.translate(images);
    assert.deepEqual(whole.map((im) => [im.width, im.height]), [[30, 22], [13, 9]]);
    // Float rounding may move a value across a byte boundary; nothing more.
    for (const other of [await tfjsTiled.translate(images), await onnx.translate(images), await onnxTiled.translate(images)]) {
      other.forEach((im, i) => assert.ok(maxAbs(im.data, whole[i].data) <= 1, `image ${i}`));
    }
    assert.equal((await tfjsTiled.plan(32, 24)).mode, 'tiled');
    assert.equal((await onnxTiled.plan(32, 24)).mode, 'tiled');
  } finally {
    onnx.dispose();
    onnxTiled.dispose();
    tfjsTiled.dispose();
    tfjs.dispose();
  }
});
