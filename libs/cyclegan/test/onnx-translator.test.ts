import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import {
  ONNX_PROVIDERS, ONNX_PROVIDER_REQUESTS, OnnxTranslator, exportGeneratorOnnx, onnxProviderMissing,
  onnxProvidersFor, parseOnnxProvider, systemWebGpuAdapter,
} from '../src/onnx/index.ts';
import { openTranslator, parseEngineCandidate } from '../src/engine-choice.ts';
import { TfjsTranslator, type RgbImage } from '../src/translate/index.ts';

await selectBackend('cpu');
const generator = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 5, initGain: 0.2 });
const fp32 = await exportGeneratorOnnx(generator);

function image(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + seed * 7919, 2654435761) >>> 24) & 0xff;
  return { width, height, data };
}

function maxByteDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the provider table: frozen, in priority order, and errors that list the valid choices', async () => {
  assert.ok(Object.isFrozen(ONNX_PROVIDERS) && ONNX_PROVIDERS.every((p) => Object.isFrozen(p)));
  assert.deepEqual(ONNX_PROVIDER_REQUESTS, ['auto', 'cuda', 'webgpu', 'cpu']);
  assert.deepEqual(onnxProvidersFor('linux', 'x64'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(onnxProvidersFor('linux', 'arm64'), ['cpu']);
  assert.throws(() => parseOnnxProvider('gpu'), /Unsupported ONNX provider "gpu"\. Should be one of: auto, cuda, webgpu, cpu\./);
  await assert.rejects(OnnxTranslator.create(fp32, { provider: 'tensorrt' as never }), /Should be one of: auto, cuda, webgpu, cpu/);
  await assert.rejects(OnnxTranslator.create(fp32, { batch: 2 } as never), /Unknown OnnxTranslator option "batch"; valid options are: provider, maxBatch, threads/);
  await assert.rejects(OnnxTranslator.create(fp32, { maxBatch: 0 }), /maxBatch must be a positive integer/);
  assert.throws(() => parseEngineCandidate('onnx:gpu'), /Should be one of: auto, onnx:cuda, onnx:webgpu, onnx:cpu, tfjs:tensorflow/);
});

test('cuda without its provider library: named request fails with how to install it; auto passes over it', async () => {
  const missing = onnxProviderMissing('cuda');
  if (missing === undefined) {
    console.log('the CUDA provider is installed here: nothing to check');
    return;
  }
  await assert.rejects(OnnxTranslator.create(fp32, { provider: 'cuda' }), /ONNX provider 'cuda' is not usable: .*onnxruntime-node-install=cuda12/);
  const t = await OnnxTranslator.create(fp32);
  console.log(`auto: ${t.info.backend}: ${t.info.reason}`);
  assert.equal(t.info.engine, 'onnx');
  assert.ok(t.info.skipped.some((s) => s.name === 'cuda'));
  assert.match(t.info.reason, /priority order cuda > webgpu > cpu/);
  assert.match(t.info.reason, new RegExp(`not .*cuda: `));
  t.dispose();
});

test('same bytes as the tfjs translator (to one 8-bit level): odd sizes cropped back, mixed sizes, batches', async () => {
  const onnx = await OnnxTranslator.create(fp32, { provider: 'cpu', maxBatch: 2 });
  const tfjs = await TfjsTranslator.create(generator);
  assert.equal(onnx.info.modelHash, tfjs.info.modelHash);
  const images = [image(50, 30, 1), image(17, 9, 2), image(50, 30, 3), image(50, 30, 4)];
  const a = await onnx.translate(images);
  const b = await tfjs.translate(images);
  a.forEach((im, i) => assert.deepEqual([im.width, im.height], [images[i].width, images[i].height]));
  const diffs = a.map((im, i) => maxByteDiff(im.data, b[i].data));
  console.log(`onnx vs tfjs translator, max byte difference per image: ${diffs.join(', ')}`);
  assert.ok(diffs.every((d) => d <= 1), `${diffs}`);
  const [single] = await onnx.translate([images[3]]);
  assert.ok(maxByteDiff(single.data, a[3].data) <= 1, 'a batch of 2 equals single translation');
  onnx.dispose();
  await assert.rejects(onnx.translate(images), /has been disposed/);
});

test('openTranslator: a named engine is taken as requested; auto measures and says why', async () => {
  const copy = () => new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 5, initGain: 0.2 });
  const named = await openTranslator({ model: copy(), engine: 'onnx', backend: 'cpu' });
  assert.deepEqual([named.reason.engine, named.reason.backend, named.reason.how], ['onnx', 'cpu', 'requested']);
  named.translator.dispose();
  const auto = await openTranslator({ model: copy(), backend: 'cpu', probeSize: 16, iters: 1 });
  console.log(`openTranslator: ${auto.reason.line}; ${auto.reason.details.join('; ')}`);
  assert.equal(auto.reason.measurements.length, 2);
  const ok = auto.reason.measurements.filter((m) => m.ms !== undefined);
  assert.equal(`${auto.reason.engine}:${auto.reason.backend}`, ok.sort((p, q) => p.ms! - q.ms!)[0].candidate);
  assert.match(auto.reason.details[0], /fastest on a 16x16 probe: /);
  const cuda = await openTranslator({ model: copy(), engine: 'onnx', probeSize: 16, iters: 1 });
  if (onnxProviderMissing('cuda')) assert.match(cuda.reason.details.join('; '), /passed over onnx:cuda: /);
  auto.translator.dispose();
  cuda.translator.dispose();
});

test('webgpu provider (Mesa lavapipe here) matches the cpu provider; fp16 within 0.1', async (t) => {
  const adapter = await systemWebGpuAdapter();
  if (typeof adapter === 'string') {
    t.skip(`no WebGPU adapter: ${adapter}`);
    return;
  }
  let onnx: OnnxTranslator;
  try {
    onnx = await OnnxTranslator.create(fp32, { provider: 'webgpu' });
  } catch (e) {
    t.skip(`the webgpu provider does not start here: ${(e as Error).message}`);
    return;
  }
  const cpu = await OnnxTranslator.create(fp32, { provider: 'cpu' });
  const [n, h, w] = [2, 24, 32];
  const x = Float32Array.from({ length: n * 3 * h * w }, (_, i) => Math.sin(i * 0.37) * 0.9);
  const a = await onnx.forward(x, [n, 3, h, w]);
  const b = await cpu.forward(x, [n, 3, h, w]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  console.log(`webgpu (${adapter.description}) fp32 vs cpu: max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `${diff}`);
  const fp16 = await OnnxTranslator.create(await exportGeneratorOnnx(generator, { precision: 'fp16' }), { provider: 'webgpu' });
  const c = await fp16.forward(x, [n, 3, h, w]);
  let diff16 = 0;
  for (let i = 0; i < c.length; i++) diff16 = Math.max(diff16, Math.abs(c[i] - b[i]));
  console.log(`webgpu fp16 vs cpu fp32: max abs diff ${diff16.toExponential(2)}`);
  assert.ok(diff16 <= 0.1, `${diff16}`);
  const [out] = await onnx.translate([image(30, 22, 7)]);
  assert.deepEqual([out.width, out.height], [30, 22]);
  [onnx, cpu, fp16].forEach((tr) => tr.dispose());
});

test('a whole 2048x1024 image translates on the CPU provider, untiled, and equals the raw forward pass', async () => {
  const t = await OnnxTranslator.create(fp32, { provider: 'cpu' });
  const im = image(2048, 1024, 11);
  const [out] = await t.translate([im]);
  assert.deepEqual([out.width, out.height], [2048, 1024]);
  // The same pixels through forward(): NCHW [-1, 1] in, tensor2im out.
  const plane = 2048 * 1024;
  const x = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) x[c * plane + p] = (im.data[p * 3 + c] / 255 - 0.5) / 0.5;
  const y = await t.forward(x, [1, 3, 1024, 2048]);
  let worst = 0;
  for (let p = 0; p < plane; p += 97) {
    for (let c = 0; c < 3; c++) {
      const expected = Math.min(255, Math.max(0, Math.trunc(((y[c * plane + p] + 1) / 2) * 255)));
      worst = Math.max(worst, Math.abs(out.data[p * 3 + c] - expected));
    }
  }
  assert.ok(worst <= 1, `${worst}`);
  assert.ok(new Set(out.data.subarray(0, 30000)).size > 50, 'the output has structure');
  t.dispose();
});
