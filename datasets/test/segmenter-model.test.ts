// The shipped segmenter (datasets/models/segmenter): its card, the ONNX model's interface, the ONNX
// graph against the tfjs network on its own weights, and its training log against the recipe of
// train-segmenter.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import * as tf from '@tensorflow/tfjs-core';
import { ONNX_METADATA_KEYS, Segmenter, normaliseImages, readSegmenterCard, segmenterSpecs, selectBackend } from '@nightshift/cyclegan';
import { TRAIN_LABELS, resizeRgbArea } from '@nightshift/labels';
import { generateScene, renderSceneSync } from '../src/index.ts';

const MODELS = fileURLToPath(new URL('../models/', import.meta.url));
const FOLDER = join(MODELS, 'segmenter');
const card = await readSegmenterCard(FOLDER, TRAIN_LABELS.map((l) => l.name));

test('the shipped segmenter folder holds at most 5 MB: model.onnx, its card and its training log', () => {
  const files = readdirSync(FOLDER);
  for (const f of ['model.onnx', 'segmenter.json', 'train-log.jsonl', 'README.md']) assert.ok(files.includes(f), `${f} in ${FOLDER}`);
  const bytes = files.reduce((sum, f) => sum + statSync(join(FOLDER, f)).size, 0);
  assert.ok(bytes <= 5e6, `${FOLDER} holds ${bytes} bytes`);
});

test('model.onnx takes [N, 3, H, W] and gives logits over the 19 trainIds the card lists, at the input size', async () => {
  const session = await ort.InferenceSession.create(card.modelPath);
  try {
    assert.deepEqual([...session.inputNames], ['input']);
    assert.deepEqual([...session.outputNames], ['logits']);
    const { width, height } = card.input;
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * width * height), [1, 3, height, width]) });
    assert.deepEqual(out.logits.dims, [1, 19, height, width]);
  } finally {
    await session.release();
  }
  assert.deepEqual(card.classes, TRAIN_LABELS.map((l) => l.name));
  assert.equal(card.architecture.classes, 19);
});

test('model.onnx gives the logits of the tfjs Segmenter on its own weights within 1e-4, on a synthetic night render at the card\'s input size', async () => {
  const bytes = readFileSync(card.modelPath);
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const metadata = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
  assert.equal(metadata[ONNX_METADATA_KEYS.modelHash], card.modelHash, 'the card names the weights the model holds');
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
  const weights = new Map<string, Float32Array>();
  for (const spec of segmenterSpecs(card.architecture)) {
    const raw = byName.get(spec.name)?.rawData;
    assert.ok(raw && raw.byteLength === 4 * spec.size, `initialiser ${spec.name} with ${spec.size} floats`);
    weights.set(spec.name, new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  }
  await selectBackend('cpu');
  const segmenter = new Segmenter(card.architecture);
  segmenter.loadStateDict(weights);

  const night = renderSceneSync(generateScene(900001, { width: 512, height: 256 }), 'night');
  const image = resizeRgbArea(night, card.input.width, card.input.height);
  const x = normaliseImages([image], { mean: card.mean, std: card.std });
  const ours = tf.tidy(() => tf.transpose(segmenter.apply(x), [0, 3, 1, 2]));
  const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]));
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) });
    const onnx = out.logits.data as Float32Array;
    const tfjs = ours.dataSync();
    let worst = 0;
    for (let i = 0; i < onnx.length; i++) worst = Math.max(worst, Math.abs(onnx[i] - tfjs[i]));
    assert.ok(worst <= 1e-4, `ONNX and tfjs logits differ by up to ${worst}`);
  } finally {
    await session.release();
    tf.dispose([x, ours, nchw]);
    segmenter.dispose();
  }
});

test('the training log is the run of train-segmenter.sh: same data and the same recipe, run to its last step', () => {
  const script = readFileSync(join(MODELS, 'train-segmenter.sh'), 'utf8').replace(/\\\n/g, ' ');
  const synth = /ns synth --output "\$work\/train" --count (\d+) --seed (\d+)/.exec(script);
  const train = /train-segmenter\.ts --data \S+ --out \S+ (.*)/.exec(script);
  assert.ok(synth && train, 'train-segmenter.sh synthesises the scenes and runs train-segmenter.ts');
  const flags = Object.fromEntries([...train[1].matchAll(/--([a-z-]+) (\S+)/g)].map((m) => [m[1], m[2]]));
  const lines = readFileSync(join(FOLDER, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const { config, scenes, firstScene } = lines[0];
  const [w, h] = flags.input.split('x').map(Number);
  assert.deepEqual(config, {
    input: { width: w, height: h },
    architecture: { inputNc: 3, classes: 19, width: Number(flags.width), depth: Number(flags.depth) },
    steps: Number(flags.steps), batch: Number(flags.batch), lr: Number(flags.lr), warmup: Number(flags.warmup),
    zoom: Number(flags.zoom), weightC: Number(flags['weight-c']), seed: Number(flags.seed),
    mean: [...card.mean], std: [...card.std],
  });
  assert.equal(scenes, Number(synth[1]));
  assert.equal(firstScene, `synthetic_000000_${synth[2]}`);
  assert.deepEqual(card.input, config.input);
  assert.deepEqual(card.architecture, config.architecture);
  assert.equal(lines.filter((l) => 'step' in l).at(-1).step, config.steps);
  assert.equal(lines.at(-1).done, true);
});
