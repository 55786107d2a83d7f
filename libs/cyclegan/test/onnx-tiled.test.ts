// Tiled execution on the onnx engine (per-step ONNX Runtime sessions driven by the shared
// translate/tile-driver.ts) against whole-image onnx and whole-image tfjs, the seam metric, the
// translator's tiling options, and models whose weights cannot be mapped (tiling refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import onnxProto from 'onnx-proto';
import { selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import { OnnxTranslator, exportGeneratorOnnx, inspectGeneratorOnnx } from '../src/onnx/index.ts';
import { OnnxTileBackend } from '../src/onnx/tile-sessions.ts';
import { runPlanTiled, seamReport, type RgbImage } from '../src/translate/index.ts';
import { FIXTURES } from './helpers.ts';

/** Tolerance on generator outputs in [-1, 1] (float32 sums in another order). */
const TOLERANCE = 1e-4;
// Padded size of an odd-sized image (150x90 pads to 152x92); 40 px tiles: 4x3 tiles, none aligned to the image.
const [H, W, TILE] = [92, 152, 40];

await selectBackend('cpu');
const generator = new ResnetGenerator({ ngf: 4, nBlocks: 2 }, { seed: 7, initGain: 0.2 });
const bytes = await exportGeneratorOnnx(generator);

function scene(h: number, w: number): Float32Array {
  const x = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) x[(y * w + c) * 3 + k] = 0.6 * Math.sin(c / 13 + k) * Math.cos(y / 9 - k) + (c > 90 && y > 30 && y < 60 ? 0.3 : 0);
    }
  }
  return x;
}

function hwcToNchw(x: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) out[c * h * w + p] = x[p * 3 + c];
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const input = scene(H, W);

async function onnxWhole(t: OnnxTranslator): Promise<Float32Array> {
  return nchwToHwc(await t.forward(hwcToNchw(input, H, W), [1, 3, H, W]), H, W);
}

function nchwToHwc(x: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = x[c * h * w + p];
  return out;
}

async function onnxTiled(model: Uint8Array, tileSize: number): Promise<Float32Array> {
  const m = inspectGeneratorOnnx(model, 'model');
  const backend = new OnnxTileBackend(m.architecture!, m.stateDict!, { executionProviders: ['cpu'] });
  try {
    return (await runPlanTiled(backend.plan, backend, { height: H, width: W, channels: 3, data: input }, { tileSize })).data;
  } finally {
    await backend.release();
  }
}

test(`onnx tiled equals onnx whole and tfjs whole within ${TOLERANCE} at ${W}x${H}, ${TILE}px tiles`, async () => {
  const t = await OnnxTranslator.create(bytes, { provider: 'cpu' });
  const whole = await onnxWhole(t);
  t.dispose();
  const x = tf.tensor4d(input, [1, H, W, 3]);
  const y = generator.apply(x);
  const tfjsWhole = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  const tiled = await onnxTiled(bytes, TILE);
  const vsOnnx = maxAbs(tiled, whole);
  const vsTfjs = maxAbs(tiled, tfjsWhole);
  console.log(`max |onnx tiled - onnx whole| = ${vsOnnx.toExponential(2)}, |onnx tiled - tfjs whole| = ${vsTfjs.toExponential(2)}, ` +
    `|onnx whole - tfjs whole| = ${maxAbs(whole, tfjsWhole).toExponential(2)} (tolerance ${TOLERANCE})`);
  assert.ok(vsOnnx <= TOLERANCE, `${vsOnnx}`);
  assert.ok(vsTfjs <= TOLERANCE, `${vsTfjs}`);
  // The output is not trivially flat (a broken plan could agree with itself on a constant).
  assert.ok(maxAbs(tiled, new Float32Array(tiled.length)) > 0.05);

  const seams = [whole, tiled].map((d) => seamReport(d, W, H, 3, TILE));
  console.log(`border/interior step ratio: onnx whole ${seams[0].ratio.toFixed(4)}, onnx tiled ${seams[1].ratio.toFixed(4)}`);
  assert.ok(seams[1].ratio <= seams[0].ratio + 0.01, `tiled ${seams[1].ratio} vs whole ${seams[0].ratio}`);
});

function image(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(127.5 + 120 * Math.sin(i * 0.0137) * Math.cos(i * 0.0031));
  return { width, height, data };
}

test('the translator: tiling always / off / auto on odd-sized images give the same bytes (to one level)', async () => {
  const never = await OnnxTranslator.create(bytes, { provider: 'cpu', tiling: 'off' });
  const always = await OnnxTranslator.create(bytes, { provider: 'cpu', tiling: 'always', tileSize: TILE });
  // A budget below one image: 'auto' tiles.
  const auto = await OnnxTranslator.create(bytes, { provider: 'cpu', tileSize: 64, maxWholeImageBytes: 1000 });
  assert.equal((await never.plan(152, 92)).mode, 'whole');
  assert.equal((await always.plan(152, 92)).mode, 'tiled');
  const autoPlan = await auto.plan(152, 92);
  assert.equal(autoPlan.mode, 'tiled');
  assert.match(autoPlan.why, /over 0 MiB: the maxWholeImageBytes budget/);
  // The default cpu budget is half the host memory available now: 2048x1024 at ngf 4 (200 MiB) fits,
  // an image of 40 gigapixels does not.
  const measured = await OnnxTranslator.create(bytes, { provider: 'cpu' });
  assert.equal((await measured.plan(2048, 1024)).mode, 'whole');
  const huge = await measured.plan(200_000, 200_000);
  assert.equal(huge.mode, 'tiled');
  assert.match(huge.why, /over \d+ MiB: half of the [\d.]+ GiB available now/);
  measured.dispose();
  const images = [image(150, 90), image(37, 21)];
  const [a, b, c] = [await never.translate(images), await always.translate(images), await auto.translate(images)];
  const diffs = images.map((im, i) => {
    assert.deepEqual([b[i].width, b[i].height, c[i].width, c[i].height], [im.width, im.height, im.width, im.height]);
    return [maxAbs(a[i].data, b[i].data), maxAbs(a[i].data, c[i].data)];
  });
  console.log(`translate: max byte difference to whole (always ${TILE}px, auto 64px) per image: ${JSON.stringify(diffs)}`);
  assert.ok(diffs.flat().every((d) => d <= 1), JSON.stringify(diffs));
  [never, always, auto].forEach((t) => t.dispose());
  await assert.rejects(OnnxTranslator.create(bytes, { tiling: 'sometimes' as never }), /tiling must be one of auto, off, always/);
  await assert.rejects(OnnxTranslator.create(bytes, { tileSize: 0 }), /tileSize must be a positive integer/);
});

test("PyTorch's own export tiles too (its initialisers keep the reference names); a model whose weights do not map is refused", async () => {
  const file = `${FIXTURES}onnx/torch_g.onnx`;
  const whole = await OnnxTranslator.create(file, { provider: 'cpu', tiling: 'off' });
  const tiled = await OnnxTranslator.create(file, { provider: 'cpu', tiling: 'always', tileSize: 32 });
  const im = image(70, 50);
  const d = maxAbs((await whole.translate([im]))[0].data, (await tiled.translate([im]))[0].data);
  console.log(`torch.onnx.export model, tiled vs whole: max byte difference ${d}`);
  assert.ok(d <= 1, `${d}`);
  [whole, tiled].forEach((t) => t.dispose());

  // Initialisers renamed (as constant folding does): no plan.
  const model = onnxProto.onnx.ModelProto.decode(await readFile(file));
  const rename = (n: string) => (/^model\./.test(n) ? `onnx::${n.replaceAll('.', '_')}` : n);
  for (const t of model.graph!.initializer!) t.name = rename(t.name!);
  for (const n of model.graph!.node!) n.input = n.input!.map(rename);
  for (const v of model.graph!.input!) v.name = rename(v.name!);
  const renamed = onnxProto.onnx.ModelProto.encode(model).finish();
  await assert.rejects(OnnxTranslator.create(renamed, { provider: 'cpu', tiling: 'always' }),
    /tiling 'always' runs the generator layer by layer from its weights, and this model's weights do not map onto the reference ResnetGenerator/);
  const auto = await OnnxTranslator.create(renamed, { provider: 'cpu', maxWholeImageBytes: 1000 });
  assert.match((await auto.plan(72, 52)).why, /weights do not map onto the reference generator, so it runs whole/);
  const [out] = await auto.translate([im]);
  assert.deepEqual([out.width, out.height], [70, 50]);
  auto.dispose();
});
