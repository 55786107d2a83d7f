import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DatasetError } from '@nightshift/labels';
import { entryToFloat32, readSafetensors, type SafetensorsFile } from '../src/safetensors.ts';
import { OnnxTranslator, generatorToOnnx, inspectGeneratorOnnx } from '../src/onnx/index.ts';
import { resnetGeneratorSpecs } from '../src/networks/resnet-generator.ts';
import { modelHash } from '../src/translate/model-hash.ts';
import { FIXTURES } from './helpers.ts';

// Made by fixtures/onnx/make_torch_onnx.py (torch 1.13, ngf 4, 2 blocks, seeded weights).
const DIR = `${FIXTURES}onnx/`;
const io = await readSafetensors(`${DIR}torch_g_io.safetensors`);

function tensor(file: SafetensorsFile, name: string): { data: Float32Array; shape: number[] } {
  const e = file.tensors.get(name)!;
  return { data: entryToFloat32(e, file.file), shape: [...e.shape] };
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const x = tensor(io, 'input');
const expected = tensor(io, 'output');
const torchStateDict = resnetGeneratorSpecs({ ngf: 4, nBlocks: 2 }).map((s) => ({ name: s.name, shape: s.torchShape, data: tensor(io, s.name).data }));

test("PyTorch's own ONNX export runs here and matches PyTorch's output within 1e-4", async () => {
  const t = await OnnxTranslator.create(`${DIR}torch_g.onnx`, { provider: 'cpu' });
  assert.match(t.info.producer, /^pytorch /);
  assert.deepEqual(t.model.input.shape, ['batch', 3, 'height', 'width']);
  // The initialisers carry the reference's state_dict names: weights and hash are recovered.
  assert.equal(t.info.hashSource, 'weights');
  assert.deepEqual(t.model.architecture, { inputNc: 3, outputNc: 3, ngf: 4, nBlocks: 2 });
  assert.equal(t.info.modelHash, modelHash(torchStateDict));
  const y = await t.forward(x.data, x.shape as [number, number, number, number]);
  const diff = maxAbs(y, expected.data);
  console.log(`torch.onnx.export on ORT cpu vs PyTorch 1.13 output [${x.shape}]: max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `${diff}`);
  t.dispose();
});

test('our export of the same PyTorch weights matches PyTorch within 1e-4', async () => {
  const t = await OnnxTranslator.create(generatorToOnnx(torchStateDict, { ngf: 4, nBlocks: 2 }), { provider: 'cpu' });
  const diff = maxAbs(await t.forward(x.data, x.shape as [number, number, number, number]), expected.data);
  console.log(`nightshift export of the PyTorch weights vs PyTorch output: max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `${diff}`);
  t.dispose();
});

test('a channels-last (NHWC) model is refused with a message that says so', async () => {
  await assert.rejects(OnnxTranslator.create(`${DIR}torch_g_nhwc.onnx`), (e: Error) => {
    assert.ok(e instanceof DatasetError);
    assert.match(e.message, /torch_g_nhwc\.onnx: input 'input' \[batch, height, width, 3\] looks channels-last \(NHWC\)/);
    assert.match(e.message, /expects .*NCHW, RGB, float in \[-1, 1\]/);
    return true;
  });
});

test('a 1-channel model is refused: nightshift translates RGB', async () => {
  await assert.rejects(OnnxTranslator.create(`${DIR}torch_g_gray.onnx`), /torch_g_gray\.onnx: input 'input' \[batch, 1, height, width\] has 1 channel; nightshift translates RGB images \(3 channels\)/);
});

test('not an ONNX file, and a model with a fixed size, are explained', async () => {
  assert.throws(() => inspectGeneratorOnnx(new TextEncoder().encode('{"not": "onnx"}'), 'model.json'), /model\.json: not an ONNX model/);
  // The PyTorch export with fixed dims, as torch.onnx.export without dynamic_axes writes it.
  const onnxProto = (await import('onnx-proto')).default;
  const model = onnxProto.onnx.ModelProto.decode(await readFile(`${DIR}torch_g.onnx`));
  for (const v of [...model.graph!.input!, ...model.graph!.output!]) {
    const dims = v.type!.tensorType!.shape!.dim!;
    dims[0] = { dimValue: 1 }; dims[2] = { dimValue: 20 }; dims[3] = { dimValue: 28 };
  }
  const t = await OnnxTranslator.create(onnxProto.onnx.ModelProto.encode(model).finish(), { provider: 'cpu' });
  const image = (w: number, h: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(100) });
  const [ok] = await t.translate([image(27, 19)]); // pads to 28x20: fits
  assert.deepEqual([ok.width, ok.height], [27, 19]);
  await assert.rejects(t.translate([image(64, 64)]), /takes only 28x20 images .*Re-export it with dynamic height and width/);
  t.dispose();
});
