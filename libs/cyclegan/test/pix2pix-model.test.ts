// One pix2pix optimize_parameters step against PyTorch (fixtures/pix2pix/make_pix2pix_fixtures.py):
// same initial weights, inputs and dropout masks; the losses, fake_B and every updated weight and
// BatchNorm buffer of G and D must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Pix2PixModel, readSafetensors, type DropoutMasks, type SafetensorsFile } from '../src/index.ts';
import { stateDictValues } from '../src/pix2pix/state-dict-values.ts';
import { FIXTURES, maxAbsDiff, nhwc } from './helpers.ts';

const DIR = `${FIXTURES}pix2pix/`;
await tf.setBackend('cpu');

function stateDict(file: SafetensorsFile, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, entry] of file.tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), stateDictValues(entry, file.file));
  return out;
}

test('one optimize_parameters step equals PyTorch: losses, fake_B, updated weights and running statistics', async () => {
  const file = await readSafetensors(`${DIR}iteration.safetensors`);
  const facts = JSON.parse(await readFile(`${DIR}iteration.json`, 'utf8')) as {
    generator: { ngf: number; num_downs: number }; discriminator: { ndf: number; n_layers: number };
    lr: number; lambdaL1: number; losses: Record<string, number>;
  };
  const model = new Pix2PixModel(
    { ngf: facts.generator.ngf, numDowns: facts.generator.num_downs, ndf: facts.discriminator.ndf, nLayers: facts.discriminator.n_layers },
    { lambdaL1: facts.lambdaL1, lr: facts.lr },
  );
  try {
    model.G.loadStateDict(stateDict(file, 'init.G.'));
    model.D.loadStateDict(stateDict(file, 'init.D.'));
    const realA = nhwc(file, 'real_A');
    const realB = nhwc(file, 'real_B');
    const masks: DropoutMasks = { mask: (layer) => nhwc(file, `mask.${layer}`) };
    const result = await model.optimizeParameters(realA, realB, facts.lr, true, masks);
    for (const [name, value] of Object.entries(facts.losses)) {
      const ours = result.losses[name as keyof typeof result.losses];
      assert.ok(Math.abs(ours - value) < 1e-4 * Math.max(1, Math.abs(value)), `${name}: ${ours} vs torch ${value}`);
    }
    const fakeB = nhwc(file, 'fake_B');
    const visual = tf.tensor4d(result.visuals!.fakeB, [1, 64, 64, 3]);
    assert.ok(maxAbsDiff(visual, tf.slice(fakeB, [0, 0, 0, 0], [1, 64, 64, 3])) < 1e-4);
    let worst = { name: '', diff: 0, scale: 0 };
    const overall = { values: 0, over: 0 };
    for (const [net, prefix] of [[model.G, 'after.G.'], [model.D, 'after.D.']] as const) {
      const after = stateDict(file, prefix);
      assert.equal(after.size, net.specs.length);
      const ours = new Map((await net.stateDict()).map((t) => [t.name, t.data]));
      for (const [name, expected] of after) {
        const got = ours.get(name)!;
        const init = stateDict(file, prefix.replace('after', 'init')).get(name)!;
        let diff = 0;
        let moved = 0;
        let over = 0;
        for (let i = 0; i < expected.length; i++) {
          const d = Math.abs(got[i] - expected[i]);
          diff = Math.max(diff, d);
          if (d > 1e-6) over++;
          moved = Math.max(moved, Math.abs(expected[i] - init[i]));
        }
        overall.values += expected.length;
        overall.over += over;
        // Adam moves each weight by about lr; agreement must be far finer than that step.
        if (diff > worst.diff) worst = { name: `${prefix}${name}`, diff, scale: moved };
        assert.ok(diff < 2e-5, `${prefix}${name}: max diff ${diff} (update size ${moved})`);
      }
    }
    console.log(`largest weight difference after one step: ${worst.diff} (${worst.name}, update size ${worst.scale}); ${overall.over} of ${overall.values} values differ by more than 1e-6`);
    // Adam divides by sqrt(v): where a gradient is tiny its float32 rounding shows; it must stay rare.
    assert.ok(overall.over < overall.values * 1e-3, `${overall.over} of ${overall.values} values differ by more than 1e-6`);
    tf.dispose([realA, realB, fakeB, visual]);
  } finally {
    model.dispose();
  }
});
