/**
 * Tiled full-resolution inference on TF.js: the TileBackend that runs one plan step's convolution on
 * one tile with tf.conv2d / tf.conv2dTranspose, and applyTiled, which walks a generator's plan
 * (generator-plan.ts) with it. How tiling works (exact halos, whole-image instance-norm statistics, no seams) is in
 * tile-driver.ts, which the ONNX engine shares (onnx/tile-sessions.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Generator } from '../networks/generator.ts';
import { generatorPlan, type PlanStep } from './generator-plan.ts';
import { runPlanTiled, type ConvTile, type ConvTileResult, type HostActivation, type TileBackend, type TiledOptions } from './tile-driver.ts';

export { gatherRegion } from './tile-driver.ts';
export type { HostActivation, TiledOptions } from './tile-driver.ts';

/** Runs plan steps on the active TF.js backend (weights are the generator's own variables). */
export const tfjsTileBackend: TileBackend<PlanStep> = {
  async runTile(step: PlanStep, tile: ConvTile): Promise<ConvTileResult> {
    const { rows, cols, top, left, outRows, outCols } = tile;
    const cout = step.outChannels;
    const [y, mean, variance] = tf.tidy(() => {
      const xt = tf.tensor4d(tile.input, [1, rows, cols, step.inChannels]);
      let out: tf.Tensor4D;
      if (step.kind === 'conv') {
        out = tf.add(tf.conv2d(xt, step.filter, step.stride, 'valid'), step.bias);
      } else {
        const full = tf.conv2dTranspose(xt, step.filter, [1, 2 * rows + 1, 2 * cols + 1, cout], 2, 'valid');
        out = tf.add(tf.slice(full, [0, top, left, 0], [1, outRows, outCols, cout]), step.bias);
      }
      if (step.tanh) out = tf.tanh(out);
      if (!step.norm) return [out];
      const m = tf.moments(out, [0, 1, 2]);
      return [out, m.mean, m.variance];
    }) as tf.Tensor[];
    try {
      return {
        values: (await y.data()) as Float32Array,
        ...(mean ? { mean: await mean.data(), variance: await variance.data() } : {}),
      };
    } finally {
      tf.dispose([y, mean, variance].filter((t) => t !== undefined));
    }
  },
};

/**
 * Runs the generator on one image held in host memory (HWC, values in [-1, 1], height and width
 * multiples of 4), tile by tile (tile-driver.ts). Returns the output image (HWC, outputNc channels).
 */
export async function applyTiled(generator: Generator, image: HostActivation, options: TiledOptions = {}): Promise<HostActivation> {
  const { inputNc } = generator.architecture;
  if (image.channels !== inputNc) throw new RangeError(`applyTiled: expected ${inputNc} channels, received ${image.channels}`);
  const plan = generatorPlan(generator);
  if (typeof plan === 'string') throw new RangeError(`applyTiled: ${generator.kind.className} runs on whole images only: ${plan}`);
  return runPlanTiled(plan, tfjsTileBackend, image, options);
}
