/**
 * The reference NLayerDiscriminator (junyanz models/networks.py, `basic` = 3 layers = 70x70 PatchGAN)
 * with instance norm and no sigmoid (LSGAN), NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveDiscriminatorArchitecture, type DiscriminatorArchitecture } from '../config.ts';
import { conv2d, instanceNorm } from './layers.ts';
import { Network, type NetworkOptions } from './network.ts';
import { conv2dParams, type ParamSpec } from './parameters.ts';

interface ConvLayer {
  readonly name: string;
  readonly inC: number;
  readonly outC: number;
  readonly stride: 1 | 2;
  readonly norm: boolean;
  readonly leakyRelu: boolean;
}

/** The conv layers with their nn.Sequential index names: [Conv, LReLU], n x [Conv, IN, LReLU], Conv. */
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
export function patchDiscriminatorSpecs(options: Partial<DiscriminatorArchitecture> = {}): ParamSpec[] {
  return patchDiscriminatorLayers(options).flatMap((l) => conv2dParams(l.name, l.inC, l.outC, 4));
}

/** Output size of a k4 p1 conv stack: stride 2 gives floor(n/2), stride 1 gives n-1. */
function outputSize(n: number, layers: readonly ConvLayer[]): number {
  return layers.reduce((size, l) => (l.stride === 2 ? Math.floor(size / 2) : size - 1), n);
}

export class PatchDiscriminator extends Network<DiscriminatorArchitecture> {
  private readonly layers: readonly ConvLayer[];

  constructor(architecture: Partial<DiscriminatorArchitecture> = {}, options: NetworkOptions = {}) {
    const arch = resolveDiscriminatorArchitecture(architecture);
    super(arch, patchDiscriminatorSpecs(arch), options, 'PatchDiscriminator');
    this.layers = patchDiscriminatorLayers(arch);
  }

  /** x: [N, H, W, inputNc] in [-1, 1]. Returns raw patch scores [N, H', W', 1] (no sigmoid). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.checkInput(x);
    return tf.tidy(() => {
      let h = x;
      for (const l of this.layers) {
        h = conv2d(h, this.weight(l.name), this.bias(l.name), l.stride, 1);
        if (l.norm) h = instanceNorm(h);
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
