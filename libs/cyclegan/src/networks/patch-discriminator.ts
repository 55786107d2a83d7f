/**
 * The reference NLayerDiscriminator (junyanz models/networks.py, `basic` = 3 layers = 70x70 PatchGAN)
 * with instance norm (CycleGAN) or batch norm (pix2pix: the middle convs then have no bias and each is
 * followed by a BatchNorm2d, whose index is the conv's + 1) and no sigmoid, NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveDiscriminatorArchitecture, type DiscriminatorArchitecture } from '../config.ts';
import { batchNorm, type BatchNormMode, type BatchStatsLog, type NormType } from './batch-norm.ts';
import { conv2d, instanceNorm } from './layers.ts';
import { Network, type NetworkOptions } from './network.ts';
import { batchNorm2dParams, conv2dNoBiasParams, conv2dParams, type ParamSpec } from './parameters.ts';

interface ConvLayer {
  readonly name: string;
  readonly inC: number;
  readonly outC: number;
  readonly stride: 1 | 2;
  readonly norm: boolean;
  readonly leakyRelu: boolean;
}

/** The conv layers with their nn.Sequential index names: [Conv, LReLU], n x [Conv, Norm, LReLU], Conv. */
export function patchDiscriminatorLayers(options: Partial<DiscriminatorArchitecture> = {}): ConvLayer[] {
  const { inputNc, ndf, nLayers } = resolveDiscriminatorArchitecture(options);
  const layers: ConvLayer[] = [{ name: 'model.0', inC: inputNc, outC: ndf, stride: 2, norm: false, leakyRelu: true }];
  let index = 2;
  let mult = 1;
  for (let n = 1; n < nLayers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    layers.push({ name: `model.${index}`, inC: ndf * prev, outC: ndf * mult, stride: 2, norm: true, leakyRelu: true });
    index += 3;
  }
  const prev = mult;
  mult = Math.min(2 ** nLayers, 8);
  layers.push({ name: `model.${index}`, inC: ndf * prev, outC: ndf * mult, stride: 1, norm: true, leakyRelu: true });
  layers.push({ name: `model.${index + 3}`, inC: ndf * mult, outC: 1, stride: 1, norm: false, leakyRelu: false });
  return layers;
}

/** Every parameter of the discriminator, in PyTorch state_dict order. */
export function patchDiscriminatorSpecs(options: Partial<DiscriminatorArchitecture> = {}, norm: NormType = 'instance'): ParamSpec[] {
  return patchDiscriminatorLayers(options).flatMap((l) =>
    norm === 'batch' && l.norm
      ? [...conv2dNoBiasParams(l.name, l.inC, l.outC, 4), ...batchNorm2dParams(normLayerName(l.name), l.outC)]
      : conv2dParams(l.name, l.inC, l.outC, 4),
  );
}

/** `model.N` -> `model.N+1`: the norm layer right after a conv. */
function normLayerName(convName: string): string {
  return `model.${Number(convName.slice('model.'.length)) + 1}`;
}

export interface PatchDiscriminatorOptions extends NetworkOptions {
  /** 'instance' (CycleGAN, default) or 'batch' (pix2pix's default `--norm batch`). */
  readonly norm?: NormType;
}

/** How a forward pass treats BatchNorm layers (ignored with instance norm). */
export interface DiscriminatorForwardOptions {
  /** 'train' (default; the reference never evaluates D in eval mode) or 'eval'. */
  readonly batchNorm?: BatchNormMode;
  /** Receives each BatchNorm layer's batch statistics in train mode (see networks/batch-norm.ts). */
  readonly statsLog?: BatchStatsLog;
}

/** Output size of a k4 p1 conv stack: stride 2 gives floor(n/2), stride 1 gives n-1. */
function outputSize(n: number, layers: readonly ConvLayer[]): number {
  return layers.reduce((size, l) => (l.stride === 2 ? Math.floor(size / 2) : size - 1), n);
}

export class PatchDiscriminator extends Network<DiscriminatorArchitecture> {
  readonly norm: NormType;
  private readonly layers: readonly ConvLayer[];

  constructor(architecture: Partial<DiscriminatorArchitecture> = {}, options: PatchDiscriminatorOptions = {}) {
    const arch = resolveDiscriminatorArchitecture(architecture);
    const norm = options.norm ?? 'instance';
    if (norm !== 'instance' && norm !== 'batch') throw new TypeError(`Unknown norm ${JSON.stringify(norm)}; valid: instance, batch`);
    super(arch, patchDiscriminatorSpecs(arch, norm), options, 'PatchDiscriminator');
    this.norm = norm;
    this.layers = patchDiscriminatorLayers(arch);
  }

  /** x: [N, H, W, inputNc] in [-1, 1]. Returns raw patch scores [N, H', W', 1] (no sigmoid). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return this.forward(x);
  }

  /** apply() with control over BatchNorm (train / eval statistics, statistics log). */
  forward(x: tf.Tensor4D, options: DiscriminatorForwardOptions = {}): tf.Tensor4D {
    this.checkInput(x);
    return tf.tidy(() => {
      let h = x;
      for (const l of this.layers) {
        const batch = this.norm === 'batch' && l.norm;
        h = conv2d(h, this.weight(l.name), batch ? undefined : this.bias(l.name), l.stride, 1);
        if (batch) h = batchNorm(this, normLayerName(l.name), h, options.batchNorm ?? 'train', options.statsLog);
        else if (l.norm) h = instanceNorm(h);
        if (l.leakyRelu) h = tf.leakyRelu(h, 0.2);
      }
      return h;
    });
  }

  /** Patch-score map size for an input of height x width. */
  outputShape(height: number, width: number): [number, number] {
    return [outputSize(height, this.layers), outputSize(width, this.layers)];
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4) throw new RangeError(`${this.scope}.apply: expected an NHWC tensor of rank 4 but received rank ${x.rank}`);
    const [, h, w, c] = x.shape;
    if (c !== this.architecture.inputNc) {
      throw new RangeError(`${this.scope}.apply: expected ${this.architecture.inputNc} input channels (NHWC) but received ${c} (shape [${x.shape.join(',')}])`);
    }
    const [oh, ow] = this.outputShape(h, w);
    if (oh < 1 || ow < 1) {
      throw new RangeError(`${this.scope}.apply: input ${w}x${h} is too small for ${this.architecture.nLayers} layers (the patch map would be ${ow}x${oh})`);
    }
  }
}
