/**
 * The reference UnetGenerator (junyanz models/networks.py, `unet_256` = 8 downsamplings, `unet_128` =
 * 7), built from nested UnetSkipConnectionBlocks, as a step table. Each block's nn.Sequential is
 * listed module by module, so the state_dict keys come from the modules' positions: the outermost
 * block is `model`, its Sequential `model.model`, the next block its index 1 (`model.model.1`), every
 * deeper one index 3 of its parent's Sequential (`….model.3`).
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
import { DatasetError } from '@nightshift/labels';
import { deriveSeed, SeededRandom } from '../random.ts';
import { NORM_TYPES, type NormType } from './batch-norm.ts';
import {
  Generator, generatorSpecs, type DropoutMasks, type GeneratorForwardOptions, type GeneratorKind, type StateDictShapes,
} from './generator.ts';
import { convNames, inferRepeats, sequential, type GeneratorStep, type SequentialModule } from './generator-steps.ts';
import type { NetworkOptions } from './network.ts';
import type { ParamSpec } from './parameters.ts';

export type { DropoutMasks } from './generator.ts';

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

const conv = (inC: number, outC: number, bias: boolean): SequentialModule =>
  (name) => ({ op: 'conv', name, inC, outC, kernel: 4, stride: 2, zeroPad: 1, bias });
const up = (inC: number, outC: number, bias: boolean): SequentialModule =>
  (name) => ({ op: 'conv-transpose-up', name, inC, outC, kernel: 4, bias });
const relu: SequentialModule = () => ({ op: 'relu' });
// In place in the reference, so the saved skip half sees it too (see the module comment).
const leakyReluThenSave: SequentialModule = () => [{ op: 'leaky-relu', slope: 0.2 }, { op: 'save' }];

/**
 * The UnetSkipConnectionBlock at `level` (0 outermost, numDowns - 1 innermost) registered as `name`,
 * its nn.Sequential at `${name}.model`.
 */
function unetBlock(a: UnetGeneratorArchitecture, level: number, name: string): GeneratorStep[] {
  const batch = a.norm === 'batch';
  const norm = (channels: number): SequentialModule => (n) => (batch ? { op: 'batch-norm', name: n, channels } : { op: 'instance-norm', channels });
  const innerC = a.ngf * Math.min(2 ** level, 8);
  const outerC = level === 0 ? a.outputNc : a.ngf * Math.min(2 ** (level - 1), 8);
  const sub: SequentialModule = (n) => unetBlock(a, level + 1, n);
  const seq = `${name}.model`;
  if (level === 0) {
    return sequential(seq, [conv(a.inputNc, innerC, !batch), sub, relu, up(2 * innerC, outerC, true), () => ({ op: 'tanh' })]);
  }
  if (level === a.numDowns - 1) {
    return [...sequential(seq, [leakyReluThenSave, conv(outerC, innerC, !batch), relu, up(innerC, outerC, !batch), norm(outerC)]), { op: 'concat-saved' }];
  }
  const dropout: SequentialModule[] = a.dropout && level >= 4 ? [(n) => ({ op: 'dropout', name: n })] : [];
  return [
    ...sequential(seq, [leakyReluThenSave, conv(outerC, innerC, !batch), norm(innerC), sub, relu, up(2 * innerC, outerC, !batch), norm(outerC), ...dropout]),
    { op: 'concat-saved' },
  ];
}

/** The generator's layers in forward order. */
export function unetGeneratorSteps(architecture: UnetGeneratorArchitecture): GeneratorStep[] {
  return unetBlock(architecture, 0, 'model');
}

/**
 * Where a UnetGenerator state_dict keeps its outermost down and up convs (weight keys) and the first
 * norm layer (prefix), and its depth: counted off the tensors by growing the table, or `numDowns`.
 */
export function unetLayoutOf(tensors: ReadonlyMap<string, unknown>, numDowns?: number): { first: string; last: string; firstNorm: string; numDowns: number } {
  const probe = { ...UNET_256, inputNc: 1, outputNc: 1, ngf: 1 };
  const table = (n: number) => unetGeneratorSteps({ ...probe, numDowns: n });
  const [outerDown, innerDown, , outerUp] = convNames(table(2));
  const firstNorm = table(3).find((s) => s.op === 'batch-norm');
  return {
    first: `${outerDown}.weight`,
    last: `${outerUp}.weight`,
    firstNorm: firstNorm?.op === 'batch-norm' ? firstNorm.name : '',
    // One past the deepest valid network, so that too deep is reported as invalid.
    numDowns: numDowns ?? (tensors.has(`${innerDown}.weight`) ? inferRepeats(tensors, table, 2, INT_LIMITS.numDowns[1] + 1) : 1),
  };
}

/**
 * ngf, numDowns, channels and norm of a UnetGenerator state_dict. Dropout has no weights and cannot
 * be seen: it is taken as on (pix2pix's default) unless given.
 */
export function inferUnetArchitecture(tensors: StateDictShapes, file: string, dropout = true): UnetGeneratorArchitecture {
  const layout = unetLayoutOf(tensors);
  const first = tensors.get(layout.first);
  const last = tensors.get(layout.last);
  if (first === undefined || last === undefined || first.shape.length !== 4 || last.shape.length !== 4) {
    throw new DatasetError(file, `not a UnetGenerator state_dict: no 4-d ${layout.first} and ${layout.last}`);
  }
  const norm = tensors.has(`${layout.firstNorm}.running_mean`) ? 'batch' : 'instance';
  try {
    return resolveUnetArchitecture({ inputNc: first.shape[1], ngf: first.shape[0], outputNc: last.shape[1], numDowns: layout.numDowns, norm, dropout });
  } catch (e) {
    throw new DatasetError(file, `inferred U-Net architecture is invalid: ${(e as Error).message}`);
  }
}

export const UNET_GENERATOR: GeneratorKind<UnetGeneratorArchitecture> = Object.freeze({
  name: 'unet',
  className: 'UnetGenerator',
  description: 'a pix2pix U-Net generator',
  resolve: resolveUnetArchitecture,
  steps: unetGeneratorSteps,
  inputSize: ({ numDowns }: UnetGeneratorArchitecture) => ({
    multiple: 2 ** numDowns, min: 2 ** numDowns, rule: `multiples of ${2 ** numDowns} (2^numDowns, numDowns ${numDowns})`,
  }),
  infer: (shapes: StateDictShapes, file: string) => inferUnetArchitecture(shapes, file),
  wholeImageOnly: 'a U-Net runs on whole images',
  info: ({ numDowns }: UnetGeneratorArchitecture) => ({ nBlocks: 0, numDowns }),
  create: (architecture: UnetGeneratorArchitecture, options: NetworkOptions) => new UnetGenerator(architecture, options),
});

/** Every state_dict entry (parameters and BatchNorm buffers), in PyTorch state_dict order. */
export function unetGeneratorSpecs(options: Partial<UnetGeneratorArchitecture> = {}): ParamSpec[] {
  return generatorSpecs(UNET_GENERATOR, options);
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
export type UnetForwardOptions = GeneratorForwardOptions;

/** apply()'s behaviour, see the module comment. */
export type UnetInference = 'reference-test' | 'eval';

export interface UnetGeneratorOptions extends NetworkOptions {
  /** Default 'reference-test'. */
  readonly inference?: UnetInference;
  /** Seed of apply()'s dropout masks in 'reference-test' inference. Default 0. */
  readonly dropoutSeed?: number;
}

export class UnetGenerator extends Generator<UnetGeneratorArchitecture> {
  readonly inference: UnetInference;
  readonly dropoutSeed: number;

  constructor(architecture: Partial<UnetGeneratorArchitecture> = {}, options: UnetGeneratorOptions = {}) {
    super(UNET_GENERATOR, architecture, options);
    this.inference = options.inference ?? 'reference-test';
    if (this.inference !== 'reference-test' && this.inference !== 'eval') {
      throw new TypeError(`Unknown inference ${JSON.stringify(this.inference)}; valid: reference-test, eval`);
    }
    this.dropoutSeed = options.dropoutSeed ?? 0;
  }

  /**
   * Translation: x [N, H, W, inputNc] in [-1, 1], H and W multiples of sizeMultiple; returns
   * [N, H, W, outputNc] in [-1, 1]. See the module comment for the 'reference-test' / 'eval' modes.
   */
  override apply(x: tf.Tensor4D): tf.Tensor4D {
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
}
