/**
 * A compact encoder-decoder for semantic segmentation (a small U-Net without normalisation), NHWC:
 *
 *   enc.0   Conv3x3 s1            inputNc -> w          ReLU    (full resolution)
 *   enc.i   Conv3x3 s2 (i=1..d)   w·2^(i-1) -> w·2^i    ReLU    (1/2^i)
 *   up.i    ConvT3x3 s2 (i=d-1..0) w·2^(i+1) -> w·2^i   ReLU    (PyTorch padding 1, output_padding 1:
 *                                  tf.conv2dTranspose to 2H with pad 1, the gradient of that conv)
 *   dec.i   Conv3x3 s1 on cat(enc.i, up.i)  w·2^(i+1) -> w·2^i   ReLU
 *   head    Conv1x1                w -> classes                  (logits)
 *
 * Every 3x3 conv zero-pads by 1. The input is an image normalised per channel ((x/255 - mean) / std)
 * and the output logits over `classes` (Cityscapes trainIds 0..18 by default) at the input's size;
 * height and width must be multiples of 2^depth. Variables carry the names of the equivalent PyTorch
 * module's state_dict (`enc.1.weight`, ...), so that the ONNX export and any PyTorch port read them
 * as they are. Weights start He-normal (std sqrt(2 / fan_in), fan_in of the head without the 2),
 * biases zero: without normalisation layers the reference GAN init (N(0, 0.02)) lets the signal die.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../random.ts';
import { Network, type NetworkOptions } from './network.ts';
import { conv2dParams, convTranspose2dParams, type ParamSpec } from './parameters.ts';

export interface SegmenterArchitecture {
  readonly inputNc: number;
  /** Output channels: logits per class. */
  readonly classes: number;
  /** Channels at full resolution; level i has width·2^i. */
  readonly width: number;
  /** Downsamplings (stride-2 convs); inputs must be multiples of 2^depth. */
  readonly depth: number;
}

/** 19 Cityscapes trainIds from RGB, 8 channels, 3 downsamplings. */
export const DEFAULT_SEGMENTER: Readonly<SegmenterArchitecture> = Object.freeze({ inputNc: 3, classes: 19, width: 8, depth: 3 });

const LIMITS: Record<keyof SegmenterArchitecture, [number, number]> = {
  inputNc: [1, 64], classes: [1, 255], width: [1, 256], depth: [1, 6],
};

/** Defaults filled in, every option checked; errors name the option. */
export function resolveSegmenterArchitecture(options: Partial<SegmenterArchitecture> = {}): SegmenterArchitecture {
  for (const key of Object.keys(options)) {
    if (!(key in LIMITS)) throw new TypeError(`Unknown segmenter option ${JSON.stringify(key)}; valid options are: ${Object.keys(LIMITS).join(', ')}`);
  }
  const o = { ...DEFAULT_SEGMENTER, ...options };
  for (const [key, [min, max]] of Object.entries(LIMITS)) {
    const v = o[key as keyof SegmenterArchitecture];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`Expected an integer between ${min} and ${max} for segmenter option ${key} but received ${String(v)}`);
    }
  }
  return Object.freeze({ inputNc: o.inputNc, classes: o.classes, width: o.width, depth: o.depth });
}

/** Channels of level i. */
export function segmenterChannels(arch: SegmenterArchitecture, level: number): number {
  return arch.width * 2 ** level;
}

/**
 * Every parameter in the state_dict order of the PyTorch module with ModuleLists `enc` (0..d), `up`
 * and `dec` (0..d-1, by level) and a `head` conv (test/fixtures/segmenter/make_segmenter_fixture.py).
 */
export function segmenterSpecs(options: Partial<SegmenterArchitecture> = {}): ParamSpec[] {
  const a = resolveSegmenterArchitecture(options);
  const ch = (i: number) => segmenterChannels(a, i);
  const specs: ParamSpec[] = [];
  for (let i = 0; i <= a.depth; i++) specs.push(...conv2dParams(`enc.${i}`, i === 0 ? a.inputNc : ch(i - 1), ch(i), 3));
  for (let i = 0; i < a.depth; i++) specs.push(...convTranspose2dParams(`up.${i}`, ch(i + 1), ch(i), 3));
  for (let i = 0; i < a.depth; i++) specs.push(...conv2dParams(`dec.${i}`, 2 * ch(i), ch(i), 3));
  specs.push(...conv2dParams('head', ch(0), a.classes, 1));
  return specs;
}

/** He-normal weights (drawn in PyTorch layout, in state_dict order), zero biases. */
function heInit(specs: readonly ParamSpec[], seed: number): Map<string, Float32Array> {
  const random = new SeededRandom(seed);
  const values = new Map<string, Float32Array>();
  for (const s of specs) {
    const data = new Float32Array(s.size);
    if (s.kind === 'conv2d-weight' || s.kind === 'conv-transpose2d-weight') {
      const [d0, d1, kh, kw] = s.torchShape;
      const fanIn = (s.kind === 'conv2d-weight' ? d1 : d0) * kh * kw;
      random.fillNormal(data, 0, Math.sqrt((s.name === 'head.weight' ? 1 : 2) / fanIn));
    }
    values.set(s.name, data);
  }
  return values;
}

export class Segmenter extends Network<SegmenterArchitecture> {
  constructor(architecture: Partial<SegmenterArchitecture> = {}, options: Omit<NetworkOptions, 'initGain'> = {}) {
    const arch = resolveSegmenterArchitecture(architecture);
    const specs = segmenterSpecs(arch);
    super(arch, specs, { ...options, initGain: 0 }, 'Segmenter');
    this.loadStateDict(heInit(specs, options.seed ?? 0));
  }

  /** Input height and width must be multiples of this. */
  get sizeMultiple(): number {
    return 2 ** this.architecture.depth;
  }

  /**
   * nn.Conv2d(k, stride, padding=pad). tf.conv2d's numeric pad is the same symmetric zero padding
   * (for stride 2 too, on the even sizes the network requires), without the Pad/Slice pair that an
   * explicit tf.pad costs in training.
   */
  private conv(x: tf.Tensor4D, layer: string, stride: 1 | 2, pad: number): tf.Tensor4D {
    return tf.add(tf.conv2d(x, this.weight(layer), stride, pad), this.bias(layer));
  }

  /** x: [N, H, W, inputNc] normalised images; returns logits [N, H, W, classes]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const { inputNc, depth } = this.architecture;
    const [, h, w, c] = x.shape;
    if (x.rank !== 4 || c !== inputNc) throw new RangeError(`${this.scope}.apply: expected NHWC input with ${inputNc} channels, received shape [${x.shape.join(',')}]`);
    const m = this.sizeMultiple;
    if (h % m !== 0 || w % m !== 0) throw new RangeError(`${this.scope}.apply: height and width must be multiples of ${m} (2^depth), received ${w}x${h}`);
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let y = x;
      for (let i = 0; i <= depth; i++) {
        y = tf.relu(this.conv(y, `enc.${i}`, i === 0 ? 1 : 2, 1));
        skips.push(y);
      }
      for (let i = depth - 1; i >= 0; i--) {
        const [n, hh, ww] = y.shape;
        const channels = skips[i].shape[3];
        const up = tf.conv2dTranspose(y, this.weight(`up.${i}`), [n, 2 * hh, 2 * ww, channels], 2, 1);
        y = tf.relu(this.conv(tf.concat([skips[i], tf.relu(tf.add(up, this.bias(`up.${i}`)))], 3) as tf.Tensor4D, `dec.${i}`, 1, 1));
      }
      return this.conv(y, 'head', 1, 0);
    });
  }
}
