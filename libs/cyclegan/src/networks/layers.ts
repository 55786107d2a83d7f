/** The reference layers as TF.js ops on NHWC tensors, with PyTorch's exact padding semantics. */
import * as tf from '@tensorflow/tfjs-core';

/** nn.ReflectionPad2d(p). */
export function reflectPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  return tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
}

/**
 * nn.Conv2d(k, stride, padding=zeroPad). The zero padding is explicit: TF's 'same' pads a stride-2
 * conv 0 before / 1 after and shifts the output by one pixel.
 */
export function conv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  stride: 1 | 2,
  zeroPad: number,
): tf.Tensor4D {
  const padded = zeroPad > 0 ? tf.pad(x, [[0, 0], [zeroPad, zeroPad], [zeroPad, zeroPad], [0, 0]]) : x;
  const y = tf.conv2d(padded, filter, stride, 'valid');
  return bias === undefined ? y : tf.add(y, bias);
}

/**
 * A stride-2 nn.ConvTranspose2d that doubles the size: k=3 with padding=1, output_padding=1 (the
 * ResNet's up-convolution) or k=4 with padding=1 (the U-Net's). A 'valid' transposed conv gives
 * 2H+k-2 rows; PyTorch's padding drops the first (and for k=4 the last, for k=3 output_padding keeps
 * it), i.e. rows [1:2H+1]. TF's 'same' would give [0:2H], one pixel off.
 */
export function convTranspose2dUp(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const [k, , outC] = filter.shape;
  const full = tf.conv2dTranspose(x, filter, [n, 2 * h + k - 2, 2 * w + k - 2, outC], 2, 'valid');
  const y = tf.slice(full, [0, 1, 1, 0], [n, 2 * h, 2 * w, outC]);
  return bias === undefined ? y : tf.add(y, bias);
}

/** nn.InstanceNorm2d(affine=False): per sample and channel over H and W, biased variance, eps 1e-5. */
export function instanceNorm(x: tf.Tensor4D, eps = 1e-5): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
}
