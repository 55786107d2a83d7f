// One full CycleGAN training iteration against PyTorch: the same tiny networks, weights and inputs
// as fixtures/make_train_fixture.py (which runs cycle_gan_model.py's optimize_parameters), then the
// eight losses and the updated weights are compared.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { entryToFloat32, readSafetensors, type SafetensorsFile } from '../src/index.ts';
import { CycleGanModel, LOSS_NAMES, type LossName } from '../src/train/cyclegan-model.ts';
import type { GanMode } from '../src/train/losses.ts';
import { registerFastKernels } from '../src/kernels/index.ts';
import { FIXTURES, nhwc } from './helpers.ts';

/**
 * Biases of convolutions that feed an InstanceNorm have a true gradient of exactly zero (the norm
 * subtracts the per-channel mean), so both frameworks see float rounding noise there, which Adam's
 * first step (≈ lr·g/|g|) turns into ±lr of random sign. Those are checked only to stay within lr.
 */
function biasCancelledByNorm(key: string, nBlocks: number): boolean {
  if (!key.endsWith('.bias')) return false;
  const net = key.split('.')[2];
  const layer = key.split('.').slice(3, -1).join('.');
  if (net.startsWith('G')) return layer !== `model.${17 + nBlocks}`;
  return layer !== 'model.0' && layer !== 'model.11';
}

interface TrainFixture {
  architecture: { ngf: number; nBlocks: number; ndf: number; nLayers: number; inputNc: number; outputNc: number };
  lr: number;
  beta1: number;
  lambdaA: number;
  lambdaB: number;
  lambdaIdentity: number;
  runs: Record<GanMode, { losses: Record<LossName, number>; updated: string[] }>;
}

async function load(): Promise<{ meta: TrainFixture; file: SafetensorsFile }> {
  const meta = JSON.parse(await readFile(`${FIXTURES}train_fixture.json`, 'utf8')) as TrainFixture;
  return { meta, file: await readSafetensors(`${FIXTURES}train_fixture.safetensors`) };
}

function tensorsWithPrefix(file: SafetensorsFile, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, entry] of file.tensors) {
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), entryToFloat32(entry, file.file));
  }
  return out;
}

for (const ganMode of ['lsgan', 'vanilla'] as const) {
  test(`one training iteration matches PyTorch (${ganMode})`, async (t) => {
    await tf.setBackend('cpu');
    registerFastKernels('cpu');
    const { meta, file } = await load();
    const model = new CycleGanModel(meta.architecture, {
      ganMode,
      lr: meta.lr,
      beta1: meta.beta1,
      lambdaA: meta.lambdaA,
      lambdaB: meta.lambdaB,
      lambdaIdentity: meta.lambdaIdentity,
    });
    try {
      for (const [name, net] of model.networks()) net.loadStateDict(tensorsWithPrefix(file, `init.${name}.`));
      const realA = nhwc(file, 'input.A');
      const realB = nhwc(file, 'input.B');
      const { losses } = await model.optimizeParameters(realA, realB, meta.lr);
      realA.dispose();
      realB.dispose();

      const expected = meta.runs[ganMode].losses;
      let worstLoss = 0;
      for (const name of LOSS_NAMES) {
        const rel = Math.abs(losses[name] - expected[name]) / Math.abs(expected[name]);
        worstLoss = Math.max(worstLoss, rel);
        assert.ok(rel < 1e-4, `loss ${name}: ours ${losses[name]}, PyTorch ${expected[name]} (relative ${rel})`);
      }
      t.diagnostic(`max relative loss difference ${worstLoss.toExponential(2)}`);

      const ours = new Map<string, Float32Array>();
      for (const [name, net] of model.networks()) {
        for (const t of await net.stateDict()) ours.set(`updated.${ganMode}.${name}.${t.name}`, t.data);
      }
      let worst = 0;
      let moved = 0;
      let cancelled = 0;
      for (const key of meta.runs[ganMode].updated) {
        const theirs = entryToFloat32(file.tensors.get(key)!, file.file);
        const init = entryToFloat32(file.tensors.get(key.replace(`updated.${ganMode}.`, 'init.'))!, file.file);
        const mine = ours.get(key);
        assert.ok(mine, `no tensor ${key}`);
        if (biasCancelledByNorm(key, meta.architecture.nBlocks)) {
          const step = mine.reduce((m, v, i) => Math.max(m, Math.abs(v - init[i])), 0);
          assert.ok(step <= meta.lr * 1.001, `${key}: moved ${step}, more than one Adam step`);
          cancelled++;
          continue;
        }
        for (let i = 0; i < theirs.length; i++) {
          worst = Math.max(worst, Math.abs(mine[i] - theirs[i]));
          if (Math.abs(theirs[i] - init[i]) > 1e-5) moved++;
        }
        const diff = theirs.reduce((m, v, i) => Math.max(m, Math.abs(mine[i] - v)), 0);
        assert.ok(diff < 1e-5, `${key}: max |ours - PyTorch| = ${diff}`);
      }
      t.diagnostic(`max |weight difference| ${worst.toExponential(2)} (${cancelled} norm-cancelled biases not compared)`);
      assert.ok(moved > 1000, `the iteration should move the weights (${moved} values moved)`);
    } finally {
      model.dispose();
    }
  });
}
