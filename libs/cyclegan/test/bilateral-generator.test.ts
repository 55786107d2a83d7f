// The bilateral generator kind: tfjs and ONNX Runtime agree within 1e-4 at any size (odd sizes too,
// no padding); checkpoints carry the kind and load back; a config whose kind does not match its
// weights, or an unknown kind, is refused naming the file; training resumes exactly (the tone
// prior anchor, recomputed from the folders, included).
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  BilateralGenerator, OnnxTranslator, ResnetGenerator, TfjsTranslator, exportGeneratorOnnx, loadGenerator, readCheckpointConfig,
  saveCheckpoint, writeSafetensors,
} from '../src/index.ts';
import { CURVE_KNOTS } from '../src/networks/bilateral-generator.ts';
import { trainCycleGan, type TrainCycleGanOptions } from '../src/train/index.ts';
import { writeUnpairedFolders } from './train-synthetic-data.ts';

let root = '';
before(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'nightshift-bilateral-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('tfjs and onnx agree within 1e-4 at several sizes, odd ones included', async () => {
  const g = new BilateralGenerator({ ngf: 8, nBlocks: 1 }, { seed: 3 });
  const onnx = await OnnxTranslator.create(await exportGeneratorOnnx(g), { provider: 'cpu' });
  try {
    for (const [n, h, w] of [[2, 64, 128], [1, 37, 53], [1, 256, 512]]) {
      const x = tf.randomUniform([n, h, w, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
      const y = g.apply(x);
      const fromTfjs = (await y.data()) as Float32Array;
      const nchw = (await tf.transpose(x, [0, 3, 1, 2]).data()) as Float32Array;
      const out = await onnx.forward(nchw, [n, 3, h, w]);
      const fromOnnx = tf.tidy(() => tf.transpose(tf.tensor4d(out, [n, 3, h, w]), [0, 2, 3, 1]).dataSync()) as Float32Array;
      const diff = maxDiff(fromTfjs, fromOnnx);
      assert.ok(diff < 1e-4, `${w}x${h}: tfjs and onnx differ by ${diff}`);
      tf.dispose([x, y]);
    }
  } finally {
    onnx.dispose();
    g.dispose();
  }
});

test('the committed default: tfjs and onnx agree within 1e-4 at a non-square size, at the curve knots and at \u00b11 too', async () => {
  const g = await loadGenerator(new URL('../../../datasets/models/default', import.meta.url).pathname, { which: 'G_A' });
  const onnx = await OnnxTranslator.create(await exportGeneratorOnnx(g), { provider: 'cpu' });
  try {
    const [h, w] = [90, 160];
    // Values on and next to each knot (where the ONNX graph picks a segment per pixel), the ends, then uniform.
    const special = CURVE_KNOTS.flatMap((t) => [t, t - 1e-6, t + 1e-6]).concat([-1, 1, 0.999999]);
    const random = tf.randomUniform([1, h, w, 3], -1, 1, 'float32', 5).dataSync() as Float32Array;
    const values = random.map((v, i) => (i % 7 === 0 ? special[(i / 7) % special.length] : v));
    const x = tf.tensor4d(values, [1, h, w, 3]);
    const y = g.apply(x);
    const fromTfjs = (await y.data()) as Float32Array;
    const nchw = (await tf.transpose(x, [0, 3, 1, 2]).data()) as Float32Array;
    const out = await onnx.forward(nchw, [1, 3, h, w]);
    const fromOnnx = tf.tidy(() => tf.transpose(tf.tensor4d(out, [1, 3, h, w]), [0, 2, 3, 1]).dataSync()) as Float32Array;
    const diff = maxDiff(fromTfjs, fromOnnx);
    assert.ok(diff < 1e-4, `tfjs and onnx differ by ${diff}`);
    tf.dispose([x, y]);
  } finally {
    onnx.dispose();
    g.dispose();
  }
});

test('both translators keep the image size without padding and agree to the 8-bit level', async () => {
  const g = new BilateralGenerator({ ngf: 8, nBlocks: 1 }, { seed: 5 });
  const image = { width: 53, height: 37, data: Uint8Array.from({ length: 53 * 37 * 3 }, (_, i) => (i * 97) % 256) };
  const tfjs = await TfjsTranslator.create(g);
  const onnx = await OnnxTranslator.create(await exportGeneratorOnnx(g), { provider: 'cpu' });
  try {
    const plans: string[] = [];
    const [a] = await tfjs.translate([image]);
    const [b] = await onnx.translate([image]);
    assert.equal(tfjs.info.generator, 'bilateral');
    assert.deepEqual([a.width, a.height, b.width, b.height], [53, 37, 53, 37]);
    let worst = 0;
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
    assert.ok(worst <= 1, `8-bit outputs differ by ${worst}`);
    assert.equal(tfjs.info.modelHash, onnx.info.modelHash);
    assert.deepEqual(plans, []);
    assert.equal((await tfjs.plan(2048, 1024)).mode, 'whole');
  } finally {
    tfjs.dispose();
    onnx.dispose();
    g.dispose();
  }
});

/** A tiny bilateral G_A saved as a checkpoint folder `dir`, and the config saveCheckpoint wrote. */
async function savedBilateral(dir: string, seed: number) {
  const generator = new BilateralGenerator({ ngf: 8, nBlocks: 1 }, { seed, name: 'G_A' });
  const config = await saveCheckpoint(dir, { G_A: generator }, { architecture: { generator: 'bilateral', ngf: 8, nBlocks: 1 } });
  return { generator, config };
}

test('a checkpoint records the kind and loads back; a bare state_dict is recognised by its keys', async () => {
  const dir = join(root, 'ckpt');
  const { generator: g, config } = await savedBilateral(dir, 9);
  assert.equal(config.architecture.generator, 'bilateral');
  assert.equal((await readCheckpointConfig(join(dir, 'config.json'))).architecture.generator, 'bilateral');
  const x = tf.randomUniform([1, 32, 48, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const expected = g.apply(x).dataSync() as Float32Array;
  for (const path of [dir, join(root, 'bare', 'G.safetensors')]) {
    if (path !== dir) {
      await mkdir(join(root, 'bare'), { recursive: true });
      await copyFile(join(dir, 'G_A.safetensors'), path);
    }
    const loaded = await loadGenerator(path);
    assert.ok(loaded instanceof BilateralGenerator, `${path} loads as a bilateral generator`);
    assert.deepEqual(loaded.architecture, { generator: 'bilateral', inputNc: 3, outputNc: 3, ngf: 8, nBlocks: 1 });
    assert.equal(maxDiff(loaded.apply(x).dataSync() as Float32Array, expected), 0);
    loaded.dispose();
  }
  x.dispose();
  g.dispose();
});

test('a config whose kind does not match its weights, or an unknown kind, fails naming the file', async () => {
  // bilateral weights under a config that says resnet (the key left out)
  const dir = join(root, 'mismatch');
  const { generator: bilateral } = await savedBilateral(dir, 1);
  const configPath = join(dir, 'config.json');
  const json = JSON.parse(await readFile(configPath, 'utf8')) as { architecture: Record<string, unknown> };
  delete json.architecture.generator;
  await writeFile(configPath, JSON.stringify(json));
  await assert.rejects(loadGenerator(dir), (e: Error) => {
    assert.match(e.message, /G_A\.safetensors: holds bilateral generator weights, but .*config\.json names generator "resnet" for G_A/);
    return true;
  });
  // resnet weights under a config that says bilateral
  const resnet = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 1 });
  const dir2 = join(root, 'mismatch2');
  await saveCheckpoint(dir2, { G_A: resnet }, { architecture: { ngf: 4, nBlocks: 1 } });
  const json2 = JSON.parse(await readFile(join(dir2, 'config.json'), 'utf8')) as { architecture: Record<string, unknown> };
  json2.architecture.generator = 'bilateral';
  await writeFile(join(dir2, 'config.json'), JSON.stringify(json2));
  await assert.rejects(loadGenerator(dir2), /G_A\.safetensors: holds resnet generator weights, but .*config\.json names generator "bilateral"/);
  json2.architecture.generator = 'unet3d';
  await writeFile(join(dir2, 'config.json'), JSON.stringify(json2));
  await assert.rejects(loadGenerator(dir2), (e: Error) => {
    assert.match(e.message, /config\.json.*\/architecture\/generator.*Unknown architecture option generator "unet3d"; valid kinds are: resnet, bilateral/);
    return true;
  });
  // an explicit kind that the weights do not have
  await writeSafetensors(join(root, 'r.safetensors'), await resnet.stateDict());
  await assert.rejects(loadGenerator(join(root, 'r.safetensors'), { architecture: { generator: 'bilateral' } }), /r\.safetensors: requested architecture \(.*generator bilateral\) does not match/);
  bilateral.dispose();
  resnet.dispose();
});

test('training a bilateral CycleGAN anchored to its tone prior resumes exactly', async () => {
  const folders = await writeUnpairedFolders(join(root, 'data'), { a: 3, b: 3 }, 40);
  const options = (outDir: string, extra: Partial<TrainCycleGanOptions> = {}): TrainCycleGanOptions => ({
    ...folders, outDir, architecture: { generator: 'bilateral', ngf: 4, nBlocks: 1, ndf: 8, nLayers: 2 },
    preprocess: 'resize_and_crop', loadSize: 36, cropSize: 32, poolSize: 2, nEpochs: 1, nEpochsDecay: 1, seed: 3,
    lambdaIdentity: 0, lambdaPrior: 2, checkpointEvery: 0, sampleEvery: 0, logEvery: 0, ...extra,
  });
  const full = await trainCycleGan(options(join(root, 'full')));
  await trainCycleGan(options(join(root, 'split'), { maxIterations: 2 }));
  const split = await trainCycleGan(options(join(root, 'split'), { resume: true }));
  assert.equal(full.iteration, 6);
  assert.equal(split.iteration, 6);
  for (const name of ['G_A', 'G_B', 'D_A', 'D_B']) {
    const a = await readFile(join(full.checkpoint, `${name}.safetensors`));
    const b = await readFile(join(split.checkpoint, `${name}.safetensors`));
    assert.ok(a.equals(b), `${name} differs after resume`);
  }
  assert.equal((await readCheckpointConfig(join(full.checkpoint, 'config.json'))).architecture.generator, 'bilateral');
});
