// The unpaired tone prior: histogram matching against known distributions, and a bilateral generator
// whose coefficient head starts at the prior's bias computes the prior's curve through its knots.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BilateralGenerator } from '../src/index.ts';
import { CURVE_KNOTS } from '../src/networks/bilateral-generator.ts';
import { channelHistograms, coefficientBias, liftedToMean, matchedCurve } from '../src/networks/bilateral-tone-prior.ts';
import { priorAnchorLoss } from '../src/train/cyclegan-model.ts';
import { headOfBias } from '../src/train/tone-prior-start.ts';

const histogramOf = (density: (v: number) => number) => Float64Array.from({ length: 256 }, (_, v) => density(v));

test('matching: a distribution to itself is the identity; uniform to uniform on [0, 127] halves; light mass cuts the target top', () => {
  const uniform = histogramOf(() => 100);
  const lowerHalf = histogramOf((v) => (v < 128 ? 100 : 0));
  const same = matchedCurve(uniform, uniform);
  for (let v = 0; v < 256; v++) assert.ok(Math.abs(same[v] - v) < 1e-9, `identity at ${v}: ${same[v]}`);
  const halved = matchedCurve(uniform, lowerHalf);
  for (let v = 0; v < 256; v++) assert.ok(Math.abs(halved[v] - Math.max(0, (v + 0.5) / 2 - 0.5)) < 1e-9, `halved at ${v}: ${halved[v]}`);
  const cut = matchedCurve(uniform, uniform, 0.5);
  for (let v = 0; v < 256; v++) assert.ok(Math.abs(cut[v] - halved[v]) < 1e-9, `light mass 0.5 at ${v}: ${cut[v]}`);
  assert.throws(() => matchedCurve(new Float64Array(256), uniform), /empty histogram/);
});

test('lifting: the mean output of the curve over the source moves by the share of its gap to the target mean, clamped to 8 bits', () => {
  // Source: uniform on [0, 255]; target: all at 40; curve: v / 4 (mean output 31.875 over the source).
  const source = histogramOf(() => 10);
  const target = histogramOf((v) => (v === 40 ? 1000 : 0));
  const curve = Float64Array.from({ length: 256 }, (_, v) => v / 4);
  const lifted = liftedToMean(curve, source, target, 0.5);
  for (let v = 0; v < 256; v++) assert.ok(Math.abs(lifted[v] - (v / 4 + 0.5 * (40 - 31.875))) < 1e-9, `at ${v}: ${lifted[v]}`);
  assert.deepEqual(Array.from(liftedToMean(curve, source, target, 0)), Array.from(curve));
  const down = liftedToMean(curve, source, histogramOf((v) => (v === 0 ? 1 : 0)), 1);
  assert.equal(down[0], 0, 'clamped at black');
  assert.ok(Math.abs(down[255] - (255 / 4 - 31.875)) < 1e-9);
});

test('histograms count each channel of interleaved RGB', () => {
  const [r, g, b] = channelHistograms([Uint8Array.from([0, 1, 2, 0, 5, 255])]);
  assert.deepEqual([r[0], g[1], g[5], b[2], b[255]], [2, 1, 1, 1, 1]);
  assert.equal(r.reduce((s, v) => s + v, 0), 2);
});

test('a generator started at the prior computes the prior curve at the knots (channels within the tie bound)', () => {
  // A gamma-like darkening curve per channel, close enough between channels for the slope tie.
  const curve = (gain: number) => Float64Array.from({ length: 256 }, (_, v) => 10 + gain * 255 * (v / 255) ** 2);
  const curves = [curve(0.2), curve(0.22), curve(0.25)] as [Float64Array, Float64Array, Float64Array];
  const generator = new BilateralGenerator({ ngf: 4, nBlocks: 1 }, { seed: 3 });
  const tensors = new Map<string, Float32Array>(generator.specs.map((s) => [s.name, new Float32Array(s.torchShape.reduce((a, b) => a * b, 1))]));
  // Zero every weight (a flat network), so the output is the bias alone: the prior itself.
  tensors.set('coeffs.bias', coefficientBias(curves));
  generator.loadStateDict(tensors);
  const knots = [...CURVE_KNOTS, 1];
  const width = knots.length;
  const input = tf.tensor4d(knots.flatMap((k) => [k, k, k]), [1, 1, width, 3]);
  const out = generator.apply(input).dataSync();
  const light = 1.5 / (1 + Math.exp(4)); // the fresh light layer's sigmoid(-4) share
  knots.forEach((k, i) => {
    for (let c = 0; c < 3; c++) {
      const v = ((k + 1) / 2) * 255;
      const want = (curves[c][Math.min(255, Math.round(v))] / 255) * 2 - 1 + light;
      assert.ok(Math.abs(out[i * 3 + c] - want) < 0.02, `knot ${k.toFixed(3)} channel ${c}: ${out[i * 3 + c]} vs ${want}`);
    }
  });
  input.dispose();
  generator.dispose();
});

test('the prior anchor term is 0 for a generator at its prior and grows with the head weights away from it', async () => {
  const curve = (gain: number) => Float64Array.from({ length: 256 }, (_, v) => 10 + gain * 255 * (v / 255) ** 2);
  const bias = coefficientBias([curve(0.2), curve(0.22), curve(0.25)]);
  const anchor = headOfBias(bias);
  const random = new BilateralGenerator({ ngf: 4, nBlocks: 1 }, { seed: 5 });
  const generator = new BilateralGenerator({ ngf: 4, nBlocks: 1 }, { seed: 5 });
  const x = tf.randomUniform([2, 24, 40, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const termWith = async (headWeightScale: number): Promise<number> => {
    const tensors = new Map((await random.stateDict()).map((t) => [t.name, t.data]));
    tensors.set('coeffs.bias', bias);
    tensors.set('coeffs.weight', tensors.get('coeffs.weight')!.map((v) => v * headWeightScale));
    generator.loadStateDict(tensors);
    const { output, head } = generator.applyWithHead(x);
    const plain = generator.apply(x);
    assert.equal(tf.max(tf.abs(tf.sub(output, plain))).dataSync()[0], 0, 'applyWithHead renders what apply does');
    const loss = priorAnchorLoss(head, anchor).dataSync()[0];
    tf.dispose([output, head, plain]);
    return loss;
  };
  assert.ok(Math.abs(anchor[0] - bias[0] * 10) < 1e-6);
  const atPrior = await termWith(0);
  const near = await termWith(1);
  const far = await termWith(3);
  assert.ok(atPrior < 1e-10, `at the prior: ${atPrior}`);
  assert.ok(near > 1e-6 && far > 4 * near, `away from it: ${near}, 3x the weights: ${far}`);
  x.dispose();
  random.dispose();
  generator.dispose();
});
