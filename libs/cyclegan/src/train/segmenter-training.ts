/**
 * Training and inference of the Segmenter (networks/segmenter.ts): images normalised as the ImageNet
 * models expect, softmax cross-entropy over trainIds with 255 ignored (torch.nn.CrossEntropyLoss
 * with ignore_index=255, mean over the pixels not ignored), Adam as torch.optim.Adam's defaults.
 */
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.ts';
import type { Segmenter } from '../networks/segmenter.ts';
import { Adam, type AdamOptions } from './optimizer.ts';

/** The per-channel mean and std of ImageNet (RGB, on [0, 1] values), what most segmenters are trained with. */
export const IMAGENET_MEAN: readonly [number, number, number] = Object.freeze([0.485, 0.456, 0.406]) as [number, number, number];
export const IMAGENET_STD: readonly [number, number, number] = Object.freeze([0.229, 0.224, 0.225]) as [number, number, number];

/** A segmenter's input value of each 8-bit value, per channel: table[c][v] = (v / 255 - mean[c]) / std[c]. */
export function normalisedValues(mean: readonly number[], std: readonly number[]): Float32Array[] {
  return [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - mean[c]) / std[c]));
}

/**
 * A window of an 8-bit interleaved RGB image through the channel tables (normalisedValues), as a
 * segmenter's [1, 3, height, width] input: the window's pixels at the top left, zero (the mean colour)
 * beyond them. Without a window, the whole image at its own size.
 */
export function normalisedNchw(
  image: { width: number; height: number; data: Uint8Array }, lut: readonly Float32Array[],
  window = { x: 0, y: 0, width: image.width, height: image.height }, size = { width: window.width, height: window.height },
): Float32Array {
  const out = new Float32Array(3 * size.width * size.height);
  const plane = size.width * size.height;
  for (let y = 0; y < window.height; y++) {
    for (let x = 0; x < window.width; x++) {
      const s = ((window.y + y) * image.width + window.x + x) * 3;
      const d = y * size.width + x;
      for (let c = 0; c < 3; c++) out[c * plane + d] = lut[c][image.data[s + c]];
    }
  }
  return out;
}

/** Logits [classes, plane] (class planes one after another) turned into softmax probabilities, in place. */
export function softmaxInPlace(logits: Float32Array, classes: number, plane: number): void {
  for (let i = 0; i < plane; i++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[c * plane + i]);
    let s = 0;
    for (let c = 0; c < classes; c++) { const e = Math.exp(logits[c * plane + i] - m); logits[c * plane + i] = e; s += e; }
    for (let c = 0; c < classes; c++) logits[c * plane + i] /= s;
  }
}

/** torch.optim.Adam's defaults. */
export const TORCH_ADAM: Readonly<AdamOptions> = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8 });

/**
 * DeepLab's "poly" learning rate at `step` of `steps`, after a linear warm-up over the first `warmup`
 * steps: lr (1 - (step - warmup) / (steps - warmup))^0.9.
 */
export function polyLearningRate(step: number, steps: number, lr: number, warmup = 0): number {
  return step < warmup ? (lr * (step + 1)) / warmup : lr * (1 - (step - warmup) / (steps - warmup)) ** 0.9;
}

/** The trainId that marks pixels without a label (void, flagged objects). */
export const IGNORE_TRAIN_ID = 255;

/** 8-bit interleaved RGB. */
export interface SegmenterImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface NormaliseOptions {
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /** Mirror each image left-right (per image; default none). */
  readonly flip?: readonly boolean[];
}

/** Images of one size as a normalised NHWC batch (normalisedValues). */
export function normaliseImages(images: readonly SegmenterImage[], options: NormaliseOptions = {}): tf.Tensor4D {
  const mean = options.mean ?? IMAGENET_MEAN;
  const std = options.std ?? IMAGENET_STD;
  const { width: w, height: h } = images[0];
  const out = new Float32Array(images.length * w * h * 3);
  const lut = normalisedValues(mean, std);
  images.forEach((image, n) => {
    if (image.width !== w || image.height !== h) throw new RangeError(`normaliseImages: image ${n} is ${image.width}x${image.height}, the first ${w}x${h}`);
    const flip = options.flip?.[n] ?? false;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = (y * w + (flip ? w - 1 - x : x)) * 3;
        const dst = ((n * h + y) * w + x) * 3;
        for (let c = 0; c < 3; c++) out[dst + c] = lut[c][image.data[src + c]];
      }
    }
  });
  return tf.tensor4d(out, [images.length, h, w, 3]);
}

/** Label maps (trainIds, 255 ignored) of one size as an int32 [N, H, W] tensor, optionally mirrored. */
export function labelBatch(labels: readonly Uint8Array[], width: number, height: number, flip?: readonly boolean[]): tf.Tensor3D {
  const out = new Int32Array(labels.length * width * height);
  labels.forEach((label, n) => {
    if (label.length !== width * height) throw new RangeError(`labelBatch: label ${n} has ${label.length} values for ${width}x${height}`);
    const mirror = flip?.[n] ?? false;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[(n * height + y) * width + x] = label[y * width + (mirror ? width - 1 - x : x)];
    }
  });
  return tf.tensor3d(out, [labels.length, height, width], 'int32');
}

/**
 * torch.nn.CrossEntropyLoss(weight, ignore_index=255) of NHWC logits against [N, H, W] trainIds:
 * the mean of -log softmax(logits)[label] over the pixels whose label is a class (any id outside
 * 0..C-1 is ignored), each pixel weighted by its class's weight and the sum divided by the sum of
 * those weights (all 1 without `classWeights`); 0 when every pixel is ignored.
 */
export function segmentationLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, classWeights?: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[3];
    if (classWeights && classWeights.length !== classes) throw new RangeError(`segmentationLoss: ${classWeights.length} class weights for ${classes} classes`);
    let target: tf.Tensor = tf.oneHot(tf.reshape(labels, [-1]), classes); // all zeros where the label is not a class
    if (classWeights) target = tf.mul(target, tf.tensor1d([...classWeights]));
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, classes]));
    const count = tf.maximum(tf.sum(target), classWeights ? 1e-12 : 1);
    return tf.div(tf.neg(tf.sum(tf.mul(target, logp))), count);
  });
}

export interface SegmenterStepInput {
  readonly images: readonly SegmenterImage[];
  /** trainIds per image, 255 ignored. */
  readonly labels: readonly Uint8Array[];
  readonly flip?: readonly boolean[];
}

export interface SegmenterTrainerOptions {
  readonly adam?: AdamOptions;
  /** Cross-entropy weight per class (torch's `weight`); default all 1. */
  readonly classWeights?: readonly number[];
}

/** Adam on a Segmenter with the cross-entropy above; one step per batch. */
export class SegmenterTrainer {
  readonly optimizer: Adam;
  private readonly classWeights?: readonly number[];

  constructor(readonly segmenter: Segmenter, options: SegmenterTrainerOptions = {}) {
    this.optimizer = new Adam(segmenter.variables(), options.adam ?? TORCH_ADAM);
    const weights = options.classWeights;
    if (weights) {
      if (weights.length !== segmenter.architecture.classes) throw new RangeError(`SegmenterTrainer: ${weights.length} class weights for ${segmenter.architecture.classes} classes`);
      if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new RangeError(`SegmenterTrainer: class weights must be finite and not negative, got [${weights.join(', ')}]`);
      this.classWeights = Object.freeze([...weights]);
    }
  }

  /** One update at learning rate `lr`; returns the batch loss before the update. */
  step(batch: SegmenterStepInput, lr: number): number {
    const { width, height } = batch.images[0];
    const x = normaliseImages(batch.images, { flip: batch.flip });
    const y = labelBatch(batch.labels, width, height, batch.flip);
    try {
      const { value, grads } = tf.variableGrads(() => segmentationLoss(this.segmenter.apply(x), y, this.classWeights), this.segmenter.variables());
      const loss = value.dataSync()[0];
      value.dispose();
      this.optimizer.applyNamed(grads, lr);
      return loss;
    } finally {
      x.dispose();
      y.dispose();
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The segmenter's logits for one image, NHWC [1, H, W, classes], as a Float32Array. */
export function segmenterLogits(segmenter: Segmenter, image: SegmenterImage): Float32Array {
  const x = normaliseImages([image]);
  try {
    return tf.tidy(() => segmenter.apply(x)).dataSync() as Float32Array;
  } finally {
    x.dispose();
  }
}

/** The predicted trainId (argmax of the logits, first maximum on ties) of every pixel of an image. */
export function predictTrainIds(segmenter: Segmenter, image: SegmenterImage): Uint8Array {
  const x = normaliseImages([image]);
  try {
    const ids = tf.tidy(() => tf.argMax(segmenter.apply(x), 3));
    const out = Uint8Array.from(ids.dataSync());
    ids.dispose();
    return out;
  } finally {
    x.dispose();
  }
}
