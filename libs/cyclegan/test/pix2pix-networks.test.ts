// The U-Net generator and batch-norm PatchGAN of pix2pix against the reference PyTorch modules
// (fixtures/pix2pix/make_pix2pix_fixtures.py): state_dict keys, parameter counts, and outputs on the
// same weights and inputs, with BatchNorm in train and eval mode and dropout given the torch masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  commitBatchStats, countParams, PatchDiscriminator, patchDiscriminatorSpecs, readSafetensors, UNET_256, UnetGenerator,
  unetGeneratorSpecs, type BatchStatsLog, type DropoutMasks, type SafetensorsFile,
} from '../src/index.ts';
import { stateDictValues } from '../src/pix2pix/state-dict-values.ts';
import { FIXTURES, maxAbsDiff, nhwc } from './helpers.ts';

const DIR = `${FIXTURES}pix2pix/`;

interface Facts {
  generatorCounts: Array<{ inputNc: number; outputNc: number; numDowns: number; ngf: number; norm: 'batch' | 'instance'; params: number; stateDictValues: number }>;
  discriminatorCounts: Array<{ inputNc: number; ndf: number; nLayers: number; norm: 'batch' | 'instance'; params: number }>;
  unet256Keys: Array<[string, number[], string]>;
  discriminatorBatchKeys: Array<[string, number[], string]>;
}

const facts = JSON.parse(await readFile(`${DIR}facts.json`, 'utf8')) as Facts;
await tf.setBackend('cpu');

/** The tensors under `prefix` (prefix stripped) as float32 PyTorch-layout values. */
function stateDict(file: SafetensorsFile, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, entry] of file.tensors) {
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), stateDictValues(entry, file.file));
  }
  return out;
}

/** The fixture's torch masks (NCHW) handed to our forward pass. */
function torchMasks(file: SafetensorsFile): DropoutMasks & { used: string[] } {
  const used: string[] = [];
  return {
    used,
    mask(layer, shape) {
      used.push(layer);
      const m = nhwc(file, `mask.${layer}`);
      assert.deepEqual(m.shape, [...shape]);
      return m;
    },
  };
}

test('unet_256 with batch norm has the reference state_dict keys, shapes and 54,413,955 parameters', () => {
  const specs = unetGeneratorSpecs(UNET_256);
  assert.deepEqual(specs.map((s) => [s.name, [...s.torchShape]]), facts.unet256Keys.map(([k, shape]) => [k, shape]));
  const ref = facts.generatorCounts.find((c) => c.numDowns === 8 && c.ngf === 64 && c.norm === 'batch')!;
  assert.equal(countParams(specs), ref.params);
  assert.equal(ref.params, 54413955);
  assert.equal(specs.reduce((n, s) => n + s.size, 0), ref.stateDictValues);
});

test('parameter counts of other U-Net configurations equal torch', () => {
  for (const c of facts.generatorCounts) {
    const specs = unetGeneratorSpecs({ inputNc: c.inputNc, outputNc: c.outputNc, ngf: c.ngf, numDowns: c.numDowns, norm: c.norm });
    assert.equal(countParams(specs), c.params, JSON.stringify(c));
    assert.equal(specs.reduce((n, s) => n + s.size, 0), c.stateDictValues, JSON.stringify(c));
  }
});

test('the conditional PatchGAN (6 channels, batch norm) has the reference keys and parameter counts', () => {
  const specs = patchDiscriminatorSpecs({ inputNc: 6, ndf: 64, nLayers: 3 }, 'batch');
  assert.deepEqual(specs.map((s) => [s.name, [...s.torchShape]]), facts.discriminatorBatchKeys.map(([k, shape]) => [k, shape]));
  for (const c of facts.discriminatorCounts) {
    assert.equal(countParams(patchDiscriminatorSpecs({ inputNc: c.inputNc, ndf: c.ndf, nLayers: c.nLayers }, c.norm)), c.params, JSON.stringify(c));
  }
  assert.equal(facts.discriminatorCounts[0].params, 2768705);
});

test('U-Net (batch norm, dropout with the torch masks) matches PyTorch in train mode, running statistics included', async () => {
  const file = await readSafetensors(`${DIR}networks.safetensors`);
  const g = new UnetGenerator({ ngf: 4, numDowns: 6, norm: 'batch', dropout: true }, { name: 'pix2pix_test_G' });
  try {
    g.loadStateDict(stateDict(file, 'G.'));
    const x = nhwc(file, 'G.input');
    const masks = torchMasks(file);
    const log: BatchStatsLog = [];
    const y = g.forward(x, { batchNorm: 'train', dropout: masks, statsLog: log });
    assert.deepEqual(masks.used, ['model.model.1.model.3.model.3.model.3.model.7']);
    const expected = nhwc(file, 'G.train_output');
    const diff = maxAbsDiff(y, expected);
    console.log(`max |ts - torch| = ${diff}`);
    assert.ok(diff < 1e-4, `max |ts - torch| = ${diff}`);
    assert.ok(tf.moments(expected).variance.dataSync()[0] > 1e-3, 'the reference output is not flat');
    commitBatchStats(g, log);
    const after = stateDict(file, 'G.after_train.');
    assert.ok(after.size > 0);
    for (const [name, values] of after) {
      const ours = g.variable(name).dataSync();
      for (let i = 0; i < values.length; i++) assert.ok(Math.abs(ours[i] - values[i]) < 1e-5, `${name}[${i}]: ${ours[i]} vs ${values[i]}`);
    }
    tf.dispose([x, y, expected]);
  } finally {
    g.dispose();
  }
});

test('U-Net eval mode (running statistics, no dropout) matches PyTorch net.eval()', async () => {
  const file = await readSafetensors(`${DIR}networks.safetensors`);
  const g = new UnetGenerator({ ngf: 4, numDowns: 6 }, { name: 'pix2pix_test_G_eval', inference: 'eval' });
  try {
    // The eval output was taken after the train-mode forward moved the running statistics.
    g.loadStateDict(new Map([...stateDict(file, 'G.'), ...stateDict(file, 'G.after_train.')]));
    const x = nhwc(file, 'G.input');
    const y = g.apply(x);
    const diff = maxAbsDiff(y, nhwc(file, 'G.eval_output'));
    console.log(`max |ts - torch| = ${diff}`);
    assert.ok(diff < 1e-4, `max |ts - torch| = ${diff}`);
    tf.dispose([x, y]);
  } finally {
    g.dispose();
  }
});

test('U-Net with instance norm (biases on every conv) matches PyTorch', async () => {
  const file = await readSafetensors(`${DIR}networks.safetensors`);
  const g = new UnetGenerator({ ngf: 4, numDowns: 5, norm: 'instance', dropout: false }, { name: 'pix2pix_test_GI' });
  try {
    g.loadStateDict(stateDict(file, 'GI.'));
    const x = nhwc(file, 'GI.input');
    const y = g.apply(x);
    const diff = maxAbsDiff(y, nhwc(file, 'GI.output'));
    console.log(`max |ts - torch| = ${diff}`);
    assert.ok(diff < 1e-4, `max |ts - torch| = ${diff}`);
    tf.dispose([x, y]);
  } finally {
    g.dispose();
  }
});

test('conditional PatchGAN with batch norm matches PyTorch in train mode, running statistics included', async () => {
  const file = await readSafetensors(`${DIR}networks.safetensors`);
  const d = new PatchDiscriminator({ inputNc: 6, ndf: 8, nLayers: 3 }, { norm: 'batch', name: 'pix2pix_test_D' });
  try {
    d.loadStateDict(stateDict(file, 'D.'));
    const x = nhwc(file, 'D.input');
    const log: BatchStatsLog = [];
    const y = d.forward(x, { statsLog: log });
    const diff = maxAbsDiff(y, nhwc(file, 'D.train_output'));
    console.log(`max |ts - torch| = ${diff}`);
    assert.ok(diff < 1e-4, `max |ts - torch| = ${diff}`);
    commitBatchStats(d, log);
    for (const [name, values] of stateDict(file, 'D.after_train.')) {
      const ours = d.variable(name).dataSync();
      for (let i = 0; i < values.length; i++) assert.ok(Math.abs(ours[i] - values[i]) < 1e-5, `${name}[${i}]`);
    }
    tf.dispose([x, y]);
  } finally {
    d.dispose();
  }
});

test('reference-test inference: each image on its own, reproducible dropout; inputs must be multiples of 2^numDowns', () => {
  const g = new UnetGenerator({ ngf: 2, numDowns: 6 }, { seed: 3, initGain: 0.2, name: 'pix2pix_test_inf' });
  try {
    const a = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const both = g.apply(tf.concat([a, b], 0));
    const alone = tf.concat([g.apply(a), g.apply(b)], 0);
    assert.equal(maxAbsDiff(both, alone), 0);
    assert.throws(() => g.apply(tf.zeros([1, 96, 64, 3]) as tf.Tensor4D), /multiples of 64/);
  } finally {
    g.dispose();
  }
});
