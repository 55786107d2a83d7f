/**
 * A generator kind (the ResNet, the U-Net, ...) and the network every kind is: a Network whose
 * variables, forward pass and input check all come from the kind's step table (generator-steps.ts).
 * Kinds are registered in generator-kinds.ts; defineGenerator(kind, architecture) makes one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, type BatchNormMode, type BatchStatsLog } from './batch-norm.ts';
import { stepSpecs, type GeneratorStep } from './generator-steps.ts';
import { blurDownsample, blurUpsample, conv2d, convTranspose2dUp, instanceNorm, reflectPad } from './layers.ts';
import { Network, type NetworkOptions } from './network.ts';
import type { ParamSpec } from './parameters.ts';
import type { GraphBuilder, OnnxPrecision } from '../onnx/export.ts';
import type { StateDictTensor } from './network.ts';

/** What every generator architecture has: image channels in and out, and the base filter count. */
export interface BaseGeneratorArchitecture {
  readonly inputNc: number;
  readonly outputNc: number;
  readonly ngf: number;
}

/** Which input sides a generator takes: multiples of `multiple`, at least `min`; `rule` in words. */
export interface GeneratorInputSize {
  readonly multiple: number;
  readonly min: number;
  readonly rule: string;
}

/** Tensor shapes of a state_dict by key (a safetensors file's entries, an ONNX file's initialisers). */
export type StateDictShapes = ReadonlyMap<string, { readonly shape: readonly number[] }>;

export interface GeneratorKind<A extends BaseGeneratorArchitecture = BaseGeneratorArchitecture> {
  /** Registry key ('resnet', 'unet'): what defineGenerator takes and translators report. */
  readonly name: string;
  /** The reference module ('ResnetGenerator'): variable scope, ONNX metadata, messages. */
  readonly className: string;
  /** The kind in a phrase, for messages ('a pix2pix U-Net generator'). */
  readonly description: string;
  /** Defaults filled in, every option checked (TypeError naming the option). */
  resolve(options: Partial<A>): A;
  /** The step table: the network, written once. */
  steps(architecture: A): GeneratorStep[];
  inputSize(architecture: A): GeneratorInputSize;
  /**
   * The architecture read off a state_dict's shapes (walking the kind's own names); a DatasetError
   * naming `file` when the tensors are not this kind's. Without it, bare weight files of this kind
   * cannot be loaded and ONNX files need our export's metadata.
   */
  infer?(shapes: StateDictShapes, file: string): A;
  /** Why it runs on whole images only, although its steps could be tiled (a U-Net: the receptive field is the image). */
  readonly wholeImageOnly?: string;
  /** The ONNX export (onnx/export.ts walks the table); absent: the onnx engine does not run this kind. */
  readonly onnx?: {
    /** Graph name without the precision suffix, e.g. `resnet_9blocks_ngf64`. */
    graphName(architecture: A): string;
    /** Model doc string without ', exported by nightshift'. */
    readonly doc: string;
    /** The I/O line of the metadata; default the tanh generators' (output in [-1, 1]). */
    readonly io?: string;
    /** Precisions the export supports; default fp32 and fp16. */
    readonly precisions?: readonly OnnxPrecision[];
    /**
     * The graph written by the kind itself instead of walking its step table: nodes added to `g`
     * from `input` (NCHW) to `output`, weights from `tensors` (the checked state_dict by name).
     */
    graph?(g: GraphBuilder, input: string, tensors: ReadonlyMap<string, StateDictTensor>, architecture: A, output: string): string;
  };
  /** Architecture figures the tfjs translator reports besides ngf (e.g. nBlocks). */
  info?(architecture: A): Readonly<Record<string, number>>;
  /** The network (default `new Generator(kind, architecture, options)`): kinds with their own apply() subclass Generator. */
  create?(architecture: A, options: NetworkOptions): Generator<A>;
}

/** Every state_dict entry of a kind's network, in PyTorch state_dict order. */
export function generatorSpecs<A extends BaseGeneratorArchitecture>(kind: GeneratorKind<A>, architecture: Partial<A> = {}): ParamSpec[] {
  return stepSpecs(kind.steps(kind.resolve(architecture)));
}

/** Dropout masks by layer: 0 or 1 / (1 - 0.5) = 2 per element, as nn.Dropout(0.5) in train mode. */
export interface DropoutMasks {
  /** The mask for `layer` (a Dropout module's state_dict-style prefix) of an NHWC activation of `shape`. */
  mask(layer: string, shape: readonly [number, number, number, number]): tf.Tensor4D;
}

/** How a forward pass treats BatchNorm and Dropout steps (kinds without them ignore it). */
export interface GeneratorForwardOptions {
  /** 'train': batch statistics (default); 'eval': running statistics. */
  readonly batchNorm?: BatchNormMode;
  /** Receives the BatchNorm batch statistics in train mode (see batch-norm.ts). */
  readonly statsLog?: BatchStatsLog;
  /** Masks for the Dropout steps; 'off' (default) is eval-mode dropout (identity). */
  readonly dropout?: DropoutMasks | 'off';
}

export class Generator<A extends BaseGeneratorArchitecture = BaseGeneratorArchitecture> extends Network<A> {
  readonly kind: GeneratorKind<A>;
  readonly steps: readonly GeneratorStep[];
  readonly inputSize: GeneratorInputSize;

  constructor(kind: GeneratorKind<A>, architecture: Partial<A> = {}, options: NetworkOptions = {}) {
    const arch = kind.resolve(architecture);
    const steps = Object.freeze(kind.steps(arch));
    super(arch, stepSpecs(steps), options, kind.className);
    this.kind = kind;
    this.steps = steps;
    this.inputSize = kind.inputSize(arch);
  }

  /** Input height and width must be multiples of this. */
  get sizeMultiple(): number {
    return this.inputSize.multiple;
  }

  /** x: [N, H, W, inputNc] in [-1, 1], sides as inputSize says. Returns [N, H, W, outputNc]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return this.forward(x);
  }

  /** The step table run on x, with explicit BatchNorm and Dropout behaviour (training uses this). */
  forward(x: tf.Tensor4D, options: GeneratorForwardOptions = {}): tf.Tensor4D {
    this.checkInput(x);
    const mode = options.batchNorm ?? 'train';
    const masks = options.dropout ?? 'off';
    return tf.tidy(() => {
      let h = x;
      const saved: tf.Tensor4D[] = [];
      const pop = (): tf.Tensor4D => {
        const s = saved.pop();
        if (s === undefined) throw new Error(`${this.scope}: the step table pops more activations than it saves`);
        return s;
      };
      for (const s of this.steps) {
        switch (s.op) {
          case 'reflect-pad': h = reflectPad(h, s.size); break;
          case 'conv': h = conv2d(h, this.weight(s.name), s.bias ? this.bias(s.name) : undefined, s.stride, s.zeroPad); break;
          case 'conv-transpose-up': h = convTranspose2dUp(h, this.weight(s.name), s.bias ? this.bias(s.name) : undefined); break;
          case 'instance-norm': h = instanceNorm(h); break;
          case 'batch-norm': h = batchNorm(this, s.name, h, mode, options.statsLog); break;
          case 'relu': h = tf.relu(h); break;
          case 'leaky-relu': h = tf.leakyRelu(h, s.slope); break;
          case 'tanh': h = tf.tanh(h); break;
          case 'dropout': if (masks !== 'off') h = tf.mul(h, masks.mask(s.name, h.shape)); break;
          case 'save': saved.push(h); break;
          case 'add-saved': h = tf.add(pop(), h); break;
          case 'concat-saved': h = tf.concat([pop(), h], 3); break;
          case 'blur-down': h = blurDownsample(h, this.variable(`${s.name}.filt`) as unknown as tf.Tensor4D); break;
          case 'blur-up': h = blurUpsample(h, this.variable(`${s.name}.filt`) as unknown as tf.Tensor4D); break;
        }
      }
      return h;
    });
  }

  protected checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4) throw new RangeError(`${this.scope}.apply: expected an NHWC tensor of rank 4 but received rank ${x.rank}`);
    const [, h, w, c] = x.shape;
    if (c !== this.architecture.inputNc) {
      throw new RangeError(`${this.scope}.apply: expected ${this.architecture.inputNc} input channels (NHWC) but received ${c} (shape [${x.shape.join(',')}])`);
    }
    const { multiple, min, rule } = this.inputSize;
    if (h % multiple !== 0 || w % multiple !== 0 || h < min || w < min) {
      throw new RangeError(`${this.scope}.apply: height and width must be ${rule}, received ${w}x${h}; pad or resize the image`);
    }
  }
}
