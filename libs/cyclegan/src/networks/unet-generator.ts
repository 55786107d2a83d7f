/**
 * The reference UnetGenerator (junyanz models/networks.py, `unet_256` = 8 downsamplings, `unet_128` =
 * 7), built from nested UnetSkipConnectionBlocks, NHWC. Variables carry the reference state_dict keys:
 * the outermost block is `model`, its nn.Sequential `model.model`; the next block is its index 1
 * (`model.model.1`), every deeper one index 3 of its parent's Sequential (`….model.3`).
 *
 *   outermost:  [Conv4s2, <sub>, ReLU, ConvT4s2 (bias), Tanh]
 *   middle:     [LReLU 0.2, Conv4s2, Norm, <sub>, ReLU, ConvT4s2, Norm, (Dropout 0.5)]  -> cat(skip, ·)
 *   innermost:  [LReLU 0.2, Conv4s2, ReLU, ConvT4s2, Norm]                              -> cat(skip, ·)
 *
 * With batch norm the convs before a norm have no bias (reference use_bias = norm is InstanceNorm).
 * Dropout sits in the numDowns - 5 blocks just outside the innermost one (pix2pix trains with it:
 * it does not pass --no_dropout).
 *
 * One quirk is reproduced on purpose: the reference's LeakyReLU is in place, and a block returns
 * torch.cat([x, self.model(x)]) after self.model has run LeakyReLU on x, so the skip half of every
 * non-outermost block's output is LeakyReLU(x), not x.
 *
 * Test time: the reference's test.py calls model.eval() only with --eval, so by default BatchNorm uses
 * the statistics of the test batch (batch_size 1) and dropout stays on (the pix2pix paper's "noise"),
 * which is what apply() does here with inference 'reference-test': each image is run on its own with
 * dropout masks drawn from `dropoutSeed`, so a translation is reproducible. Inference 'eval' is the
 * reference's --eval: running statistics, no dropout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, SeededRandom } from '../random.ts';
import { batchNorm, NORM_TYPES, type BatchNormMode, type BatchStatsLog, type NormType } from './batch-norm.ts';
import { conv2d, convTranspose2dK4Up, instanceNorm } from './layers.ts';
import { Network, type NetworkOptions } from './network.ts';
import {
  batchNorm2dParams, conv2dNoBiasParams, conv2dParams, convTranspose2dNoBiasParams, convTranspose2dParams, type ParamSpec,
} from './parameters.ts';

export interface UnetGeneratorArchitecture {
  readonly inputNc: number;
  readonly outputNc: number;
  /** Filters of the outermost down-conv (`--ngf`). */
  readonly ngf: number;
  /** Downsamplings (`unet_256` = 8, `unet_128` = 7); inputs must be multiples of 2^numDowns. */
  readonly numDowns: number;
  /** `--norm`: pix2pix defaults to 'batch'. */
  readonly norm: NormType;
  /** Dropout 0.5 in the numDowns - 5 blocks around the innermost (pix2pix default: on). */
  readonly dropout: boolean;
}

/** pix2pix's generator: `--netG unet_256 --norm batch`, dropout on. */
export const UNET_256: Readonly<UnetGeneratorArchitecture> = Object.freeze({
  inputNc: 3, outputNc: 3, ngf: 64, numDowns: 8, norm: 'batch', dropout: true,
});

const INT_LIMITS = { inputNc: [1, 64], outputNc: [1, 64], ngf: [1, 1024], numDowns: [5, 12] } as const;
const KEYS = ['inputNc', 'outputNc', 'ngf', 'numDowns', 'norm', 'dropout'] as const;

/** Defaults (UNET_256) filled in, every option checked; errors name the option. */
export function resolveUnetArchitecture(options: Partial<UnetGeneratorArchitecture> = {}): UnetGeneratorArchitecture {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected an object of U-Net options but received ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`Unknown U-Net generator option ${JSON.stringify(key)}; valid options are: ${KEYS.join(', ')}`);
    }
  }
  const o = { ...UNET_256, ...options };
  for (const [key, [min, max]] of Object.entries(INT_LIMITS)) {
    const v = o[key as keyof typeof INT_LIMITS];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`Expected an integer between ${min} and ${max} for U-Net option ${key} but received ${String(v)}`);
    }
  }
  if (!NORM_TYPES.includes(o.norm)) throw new TypeError(`Unknown norm ${JSON.stringify(o.norm)}; valid: ${NORM_TYPES.join(', ')}`);
  if (typeof o.dropout !== 'boolean') throw new TypeError(`Expected a boolean for U-Net option dropout but received ${String(o.dropout)}`);
  return Object.freeze({ inputNc: o.inputNc, outputNc: o.outputNc, ngf: o.ngf, numDowns: o.numDowns, norm: o.norm, dropout: o.dropout });
}

export type UnetBlockKind = 'outermost' | 'middle' | 'innermost';

/** One UnetSkipConnectionBlock: its layers' state_dict prefixes and channels. */
export interface UnetBlock {
  readonly level: number;
  readonly kind: UnetBlockKind;
  readonly inC: number;
  readonly innerC: number;
  readonly outerC: number;
  readonly downConv: string;
  readonly downNorm?: string;
  readonly upConv: string;
  readonly upNorm?: string;
  /** Name of the nn.Dropout module (its Sequential index), when the block has one. */
  readonly dropout?: string;
}

/** The blocks from outermost (level 0) to innermost (level numDowns - 1). */
export function unetGeneratorLayout(options: Partial<UnetGeneratorArchitecture> = {}): UnetBlock[] {
  const a = resolveUnetArchitecture(options);
  const blocks: UnetBlock[] = [];
  let prefix = 'model';
  for (let level = 0; level < a.numDowns; level++) {
    if (level === 1) prefix = 'model.model.1';
    else if (level > 1) prefix = `${prefix}.model.3`;
    const s = `${prefix}.model`;
    const innerC = a.ngf * Math.min(2 ** level, 8);
    const outerC = level === 0 ? a.outputNc : a.ngf * Math.min(2 ** (level - 1), 8);
    if (level === 0) {
      blocks.push({ level, kind: 'outermost', inC: a.inputNc, innerC, outerC, downConv: `${s}.0`, upConv: `${s}.3` });
    } else if (level === a.numDowns - 1) {
      blocks.push({ level, kind: 'innermost', inC: outerC, innerC, outerC, downConv: `${s}.1`, upConv: `${s}.3`, upNorm: `${s}.4` });
    } else {
      const dropout = a.dropout && level >= 4 ? `${s}.7` : undefined;
      blocks.push({ level, kind: 'middle', inC: outerC, innerC, outerC, downConv: `${s}.1`, downNorm: `${s}.2`, upConv: `${s}.5`, upNorm: `${s}.6`, dropout });
    }
  }
  return blocks;
}

/** Every state_dict entry (parameters and BatchNorm buffers), in PyTorch state_dict order. */
export function unetGeneratorSpecs(options: Partial<UnetGeneratorArchitecture> = {}): ParamSpec[] {
  const a = resolveUnetArchitecture(options);
  const blocks = unetGeneratorLayout(a);
  const batch = a.norm === 'batch';
  const conv = (name: string, i: number, o: number, bias: boolean) => (bias ? conv2dParams(name, i, o, 4) : conv2dNoBiasParams(name, i, o, 4));
  const convT = (name: string, i: number, o: number, bias: boolean) =>
    (bias ? convTranspose2dParams(name, i, o, 4) : convTranspose2dNoBiasParams(name, i, o, 4));
  const norm = (name: string | undefined, c: number) => (batch && name !== undefined ? batchNorm2dParams(name, c) : []);
  // Recursion order: a block's down layers, then its submodule, then its up layers.
  const specsOf = (level: number): ParamSpec[] => {
    const b = blocks[level];
    if (b.kind === 'innermost') {
      return [...conv(b.downConv, b.inC, b.innerC, !batch), ...convT(b.upConv, b.innerC, b.outerC, !batch), ...norm(b.upNorm, b.outerC)];
    }
    const down = [...conv(b.downConv, b.inC, b.innerC, !batch), ...norm(b.downNorm, b.innerC)];
    const up = [...convT(b.upConv, 2 * b.innerC, b.outerC, b.kind === 'outermost' || !batch), ...norm(b.upNorm, b.outerC)];
    return [...down, ...specsOf(level + 1), ...up];
  };
  return specsOf(0);
}

/** Dropout masks by layer: 0 or 1 / (1 - 0.5) = 2 per element, as nn.Dropout(0.5) in train mode. */
export interface DropoutMasks {
  /** The mask for `layer` (a Dropout module's state_dict-style prefix) of an NHWC activation of `shape`. */
  mask(layer: string, shape: readonly [number, number, number, number]): tf.Tensor4D;
}

/**
 * Masks from the seeded PRNG (xoshiro128**): layer L's mask is drawn, element by element in NHWC
 * order, from SeededRandom(deriveSeed(seed, L)), keeping an element when the uniform draw is < 0.5.
 * The same object returns the same mask for a layer every time (so a forward pass can be repeated
 * with identical masks), and the same seed gives the same masks on every platform.
 */
export class SeededDropoutMasks implements DropoutMasks {
  private readonly cache = new Map<string, { shape: string; data: Float32Array }>();

  constructor(readonly seed: number) {}

  mask(layer: string, shape: readonly [number, number, number, number]): tf.Tensor4D {
    const key = shape.join('x');
    let entry = this.cache.get(layer);
    if (entry === undefined || entry.shape !== key) {
      const random = new SeededRandom(deriveSeed(this.seed, layer));
      const data = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
      for (let i = 0; i < data.length; i++) data[i] = random.nextFloat() < 0.5 ? 2 : 0;
      entry = { shape: key, data };
      this.cache.set(layer, entry);
    }
    return tf.tensor4d(entry.data, [...shape]);
  }
}

/** How a forward pass treats BatchNorm and Dropout. */
export interface UnetForwardOptions {
  /** 'train': batch statistics (default); 'eval': running statistics. Ignored with instance norm. */
  readonly batchNorm?: BatchNormMode;
  /** Receives the BatchNorm batch statistics in train mode (see networks/batch-norm.ts). */
  readonly statsLog?: BatchStatsLog;
  /** Masks for the Dropout layers; 'off' (default) is eval-mode dropout (identity). */
  readonly dropout?: DropoutMasks | 'off';
}

/** apply()'s behaviour, see the module comment. */
export type UnetInference = 'reference-test' | 'eval';

export interface UnetGeneratorOptions extends NetworkOptions {
  /** Default 'reference-test'. */
  readonly inference?: UnetInference;
  /** Seed of apply()'s dropout masks in 'reference-test' inference. Default 0. */
  readonly dropoutSeed?: number;
}

export class UnetGenerator extends Network<UnetGeneratorArchitecture> {
  readonly blocks: readonly UnetBlock[];
  readonly inference: UnetInference;
  readonly dropoutSeed: number;

  constructor(architecture: Partial<UnetGeneratorArchitecture> = {}, options: UnetGeneratorOptions = {}) {
    const arch = resolveUnetArchitecture(architecture);
    super(arch, unetGeneratorSpecs(arch), options, 'UnetGenerator');
    this.blocks = unetGeneratorLayout(arch);
    this.inference = options.inference ?? 'reference-test';
    if (this.inference !== 'reference-test' && this.inference !== 'eval') {
      throw new TypeError(`Unknown inference ${JSON.stringify(this.inference)}; valid: reference-test, eval`);
    }
    this.dropoutSeed = options.dropoutSeed ?? 0;
  }

  /** Input height and width must be multiples of this (2^numDowns: 256 for unet_256). */
  get sizeMultiple(): number {
    return 2 ** this.architecture.numDowns;
  }

  /**
   * Translation: x [N, H, W, inputNc] in [-1, 1], H and W multiples of sizeMultiple; returns
   * [N, H, W, outputNc] in [-1, 1]. See the module comment for the 'reference-test' / 'eval' modes.
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.checkInput(x);
    const { norm, dropout } = this.architecture;
    if (this.inference === 'eval') return this.forward(x, { batchNorm: 'eval', dropout: 'off' });
    const n = x.shape[0];
    if (n === 1 || (norm === 'instance' && !dropout)) return this.forward(x, { batchNorm: 'train', dropout: new SeededDropoutMasks(this.dropoutSeed) });
    // test.py runs one image at a time: batch statistics and masks are per image.
    return tf.tidy(() => tf.concat(
      tf.split(x, n, 0).map((xi) => this.forward(xi as tf.Tensor4D, { batchNorm: 'train', dropout: new SeededDropoutMasks(this.dropoutSeed) })),
      0,
    ));
  }

  /** The network's forward pass with explicit BatchNorm and Dropout behaviour (training uses this). */
  forward(x: tf.Tensor4D, options: UnetForwardOptions = {}): tf.Tensor4D {
    this.checkInput(x);
    const mode = options.batchNorm ?? 'train';
    const masks = options.dropout ?? 'off';
    const batch = this.architecture.norm === 'batch';
    const bias = (name: string): tf.Tensor1D | undefined =>
      this.specs.some((s) => s.name === `${name}.bias`) ? this.bias(name) : undefined;
    const normalise = (h: tf.Tensor4D, name: string | undefined): tf.Tensor4D => {
      if (name === undefined) return h;
      return batch ? batchNorm(this, name, h, mode, options.statsLog) : instanceNorm(h);
    };
    const block = (level: number, input: tf.Tensor4D): tf.Tensor4D => {
      const b = this.blocks[level];
      if (b.kind === 'outermost') {
        const down = conv2d(input, this.weight(b.downConv), bias(b.downConv), 2, 1);
        const inner = block(level + 1, down);
        return tf.tanh(convTranspose2dK4Up(tf.relu(inner), this.weight(b.upConv), bias(b.upConv)));
      }
      const skip = tf.leakyRelu(input, 0.2); // in place in the reference, so the skip half sees it too
      const down = normalise(conv2d(skip, this.weight(b.downConv), bias(b.downConv), 2, 1), b.downNorm);
      const inner = b.kind === 'innermost' ? down : block(level + 1, down);
      let up = normalise(convTranspose2dK4Up(tf.relu(inner), this.weight(b.upConv), bias(b.upConv)), b.upNorm);
      if (b.dropout !== undefined && masks !== 'off') up = tf.mul(up, masks.mask(b.dropout, up.shape));
      return tf.concat([skip, up], 3);
    };
    return tf.tidy(() => block(0, x));
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4) throw new RangeError(`${this.scope}.apply: expected an NHWC tensor of rank 4 but received rank ${x.rank}`);
    const [, h, w, c] = x.shape;
    if (c !== this.architecture.inputNc) {
      throw new RangeError(`${this.scope}.apply: expected ${this.architecture.inputNc} input channels (NHWC) but received ${c} (shape [${x.shape.join(',')}])`);
    }
    const m = this.sizeMultiple;
    if (h % m !== 0 || w % m !== 0 || h < m || w < m) {
      throw new RangeError(`${this.scope}.apply: height and width must be multiples of ${m} (2^numDowns, numDowns ${this.architecture.numDowns}), received ${w}x${h}; pad or resize the image`);
    }
  }
}
