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

/**
 * CUT's Downsample: nn.ReflectionPad2d((k-1)/2 before, ceil((k-1)/2) after), then
 * F.conv2d(stride 2, groups=channels) with each channel's k x k filter. `filter` is the `filt`
 * buffer in TF layout, [k, k, 1, channels].
 */
export function blurDownsample(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  const [k, , , c] = filter.shape;
  const before = Math.floor((k - 1) / 2);
  const after = Math.ceil((k - 1) / 2);
  const padded = tf.mirrorPad(x, [[0, 0], [before, after], [before, after], [0, 0]], 'reflect');
  return tf.depthwiseConv2d(padded, tf.reshape(filter, [k, k, c, 1]) as tf.Tensor4D, 2, 'valid') as tf.Tensor4D;
}

/**
 * CUT's Upsample (filt_size 4, stride 2): nn.ReplicationPad2d(1), F.conv_transpose2d(stride 2,
 * padding 2, groups=channels), then [1:-1] on both axes, giving 2H x 2W. TF.js has no depthwise
 * transposed conv, so it is written as what a transposed conv is: the padded input with a zero
 * between neighbours, correlated with the flipped filter. The crop and PyTorch's padding remove
 * exactly the rows that need zero padding around the dilated input, so the correlation is 'valid'.
 * Replication by one pixel is TF's symmetric mirror pad of 1.
 */
export function blurUpsample(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  const [k, , , c] = filter.shape;
  if (k !== 4) throw new RangeError(`blurUpsample: only CUT's 4x4 Upsample filter is implemented, got ${k}x${k}`);
  const padded = tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], 'symmetric');
  const [n, h, w] = padded.shape;
  // Rows: [n, h, w, c] -> [n, h, 2, w, c] with zeros in the second slot -> [n, 2h, w, c], last zero row dropped.
  const rows = tf.slice(tf.reshape(tf.stack([padded, tf.zerosLike(padded)], 2), [n, 2 * h, w, c]), [0, 0, 0, 0], [n, 2 * h - 1, w, c]);
  const cols = tf.slice(tf.reshape(tf.stack([rows, tf.zerosLike(rows)], 3), [n, 2 * h - 1, 2 * w, c]), [0, 0, 0, 0], [n, 2 * h - 1, 2 * w - 1, c]);
  const flipped = tf.reverse(tf.reshape(filter, [k, k, c, 1]), [0, 1]);
  return tf.depthwiseConv2d(cols as tf.Tensor4D, flipped as tf.Tensor4D, 1, 'valid') as tf.Tensor4D;
}
