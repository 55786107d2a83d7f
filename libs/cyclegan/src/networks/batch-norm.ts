/**
 * nn.BatchNorm2d(affine=True, momentum=0.1, eps=1e-5) for the pix2pix networks, NHWC.
 *
 * In train mode PyTorch normalises with the batch's mean and biased variance (over N, H, W) and
 * moves the buffers: running_mean <- 0.9·running_mean + 0.1·mean, running_var <- 0.9·running_var +
 * 0.1·unbiased variance, num_batches_tracked += 1. In eval mode it normalises with the buffers.
 * The forward pass here is a pure function of its inputs (so it can run under tf.variableGrads);
 * the statistics of a train-mode pass are collected in a `BatchStatsLog` and written to the buffers
 * afterwards with `commitBatchStats`, which is when PyTorch's in-place update would have happened.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Network } from './network.ts';

export type NormType = 'batch' | 'instance';
export const NORM_TYPES: readonly NormType[] = Object.freeze(['batch', 'instance']);

/** Which statistics BatchNorm layers use: the batch's (module.train()) or the buffers (module.eval()). */
export type BatchNormMode = 'train' | 'eval';

/** Batch statistics of train-mode BatchNorm layers, in the order the layers ran. */
export interface BatchStatsEntry {
  /** state_dict prefix of the BatchNorm2d, e.g. `model.model.1.model.2`. */
  readonly layer: string;
  readonly mean: tf.Tensor1D;
  /** Unbiased (n / (n - 1)) variance, as PyTorch puts into running_var. */
  readonly unbiasedVariance: tf.Tensor1D;
}

export type BatchStatsLog = BatchStatsEntry[];

const EPS = 1e-5;
const MOMENTUM = 0.1;

/**
 * BatchNorm2d forward. `log`, when given in train mode, receives the batch statistics (kept tensors,
 * owned by the log; commitBatchStats or disposeBatchStats frees them).
 */
export function batchNorm(
  net: Network<unknown>,
  layer: string,
  x: tf.Tensor4D,
  mode: BatchNormMode,
  log?: BatchStatsLog,
): tf.Tensor4D {
  const gamma = net.variable(`${layer}.weight`);
  const beta = net.variable(`${layer}.bias`);
  if (mode === 'eval') {
    const mean = net.variable(`${layer}.running_mean`);
    const variance = net.variable(`${layer}.running_var`);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), gamma), beta);
  }
  const [n, h, w] = x.shape;
  const count = n * h * w;
  if (count < 2) {
    // PyTorch refuses too: "Expected more than 1 value per channel when training".
    throw new RangeError(`BatchNorm ${layer}: expected more than 1 value per channel when training, got input [${x.shape.join(', ')}]`);
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2], false);
  if (log !== undefined) {
    log.push({
      layer,
      mean: tf.keep(tf.reshape(mean, [-1]) as tf.Tensor1D),
      unbiasedVariance: tf.keep(tf.mul(tf.reshape(variance, [-1]), count / (count - 1)) as tf.Tensor1D),
    });
  }
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), gamma), beta);
}

/** Moves each logged layer's running statistics as PyTorch's train-mode forward does, then frees the log. */
export function commitBatchStats(net: Network<unknown>, log: BatchStatsLog): void {
  try {
    tf.tidy(() => {
      for (const { layer, mean, unbiasedVariance } of log) {
        const rm = net.variable(`${layer}.running_mean`);
        const rv = net.variable(`${layer}.running_var`);
        const nb = net.variable(`${layer}.num_batches_tracked`);
        rm.assign(tf.add(tf.mul(rm, 1 - MOMENTUM), tf.mul(mean, MOMENTUM)));
        rv.assign(tf.add(tf.mul(rv, 1 - MOMENTUM), tf.mul(unbiasedVariance, MOMENTUM)));
        nb.assign(tf.add(nb, 1));
      }
    });
  } finally {
    disposeBatchStats(log);
  }
}

export function disposeBatchStats(log: BatchStatsLog): void {
  for (const e of log) tf.dispose([e.mean, e.unbiasedVariance]);
  log.length = 0;
}
