/**
 * The reference's loss functions (junyanz models/networks.py GANLoss, torch.nn.L1Loss), mean-reduced
 * over every element as PyTorch's default `reduction='mean'`.
 */
import * as tf from '@tensorflow/tfjs-core';

export type GanMode = 'lsgan' | 'vanilla';
export const GAN_MODES: readonly GanMode[] = Object.freeze(['lsgan', 'vanilla']);

/**
 * GANLoss(gan_mode)(prediction, targetIsReal): lsgan is MSE against a tensor of 1.0 (real) or 0.0
 * (fake); vanilla is BCEWithLogits against the same targets.
 */
export function ganLoss(prediction: tf.Tensor, targetIsReal: boolean, mode: GanMode): tf.Scalar {
  return tf.tidy(() => {
    const target = targetIsReal ? 1 : 0;
    if (mode === 'lsgan') return tf.mean(tf.square(tf.sub(prediction, tf.scalar(target))));
    if (mode === 'vanilla') return bceWithLogits(prediction, target);
    throw new TypeError(`Unknown gan mode ${JSON.stringify(mode)}; valid modes are: ${GAN_MODES.join(', ')}`);
  });
}

/**
 * torch.nn.BCEWithLogitsLoss against a constant target t, in its numerically stable form:
 * max(x, 0) - x·t + log(1 + exp(-|x|)).
 */
function bceWithLogits(logits: tf.Tensor, t: number): tf.Scalar {
  const perElement = tf.add(
    tf.sub(tf.relu(logits), tf.mul(logits, tf.scalar(t))),
    tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
  );
  return tf.mean(perElement);
}

/** torch.nn.L1Loss: mean absolute difference. */
export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
}
