/**
 * The reference ResnetGenerator (junyanz models/networks.py, `resnet_9blocks` / `resnet_6blocks`,
 * instance norm, no dropout), NHWC. Layer comments give the nn.Sequential index, which is also the
 * state_dict key prefix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveGeneratorArchitecture, type GeneratorArchitecture } from '../config.ts';
import { conv2d, convTranspose2dUp, instanceNorm, reflectPad } from './layers.ts';
import { Network, type NetworkOptions } from './network.ts';
import { conv2dParams, convTranspose2dParams, type ParamSpec } from './parameters.ts';

/** state_dict key prefixes of the generator's parameterised layers. */
export function resnetGeneratorLayout(nBlocks: number): {
  stem: string;
  down: [string, string];
  blocks: Array<[string, string]>;
  up: [string, string];
  head: string;
} {
  return {
    stem: 'model.1',
    down: ['model.4', 'model.7'],
    blocks: Array.from({ length: nBlocks }, (_, i): [string, string] => [
      `model.${10 + i}.conv_block.1`,
      `model.${10 + i}.conv_block.5`,
    ]),
    up: [`model.${10 + nBlocks}`, `model.${13 + nBlocks}`],
    head: `model.${17 + nBlocks}`,
  };
}

/** Every parameter of the generator, in PyTorch state_dict order. */
export function resnetGeneratorSpecs(options: Partial<GeneratorArchitecture> = {}): ParamSpec[] {
  const { inputNc, outputNc, ngf, nBlocks } = resolveGeneratorArchitecture(options);
  const l = resnetGeneratorLayout(nBlocks);
  return [
    ...conv2dParams(l.stem, inputNc, ngf, 7),
    ...conv2dParams(l.down[0], ngf, ngf * 2, 3),
    ...conv2dParams(l.down[1], ngf * 2, ngf * 4, 3),
    ...l.blocks.flatMap(([a, b]) => [...conv2dParams(a, ngf * 4, ngf * 4, 3), ...conv2dParams(b, ngf * 4, ngf * 4, 3)]),
    ...convTranspose2dParams(l.up[0], ngf * 4, ngf * 2, 3),
    ...convTranspose2dParams(l.up[1], ngf * 2, ngf, 3),
    ...conv2dParams(l.head, ngf, outputNc, 7),
  ];
}

export class ResnetGenerator extends Network<GeneratorArchitecture> {
  private readonly layout: ReturnType<typeof resnetGeneratorLayout>;

  constructor(architecture: Partial<GeneratorArchitecture> = {}, options: NetworkOptions = {}) {
    const arch = resolveGeneratorArchitecture(architecture);
    super(arch, resnetGeneratorSpecs(arch), options, 'ResnetGenerator');
    this.layout = resnetGeneratorLayout(arch.nBlocks);
  }

  /**
   * x: [N, H, W, inputNc] in [-1, 1], H and W multiples of 4 (the reference's own requirement for an
   * output of the input's size). Returns [N, H, W, outputNc] in [-1, 1].
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.checkInput(x);
    const l = this.layout;
    return tf.tidy(() => {
      const convNormRelu = (h: tf.Tensor4D, name: string, stride: 1 | 2, zeroPad: number): tf.Tensor4D =>
        tf.relu(instanceNorm(conv2d(h, this.weight(name), this.bias(name), stride, zeroPad)));
      let h = convNormRelu(reflectPad(x, 3), l.stem, 1, 0); // 0-3
      h = convNormRelu(h, l.down[0], 2, 1); // 4-6
      h = convNormRelu(h, l.down[1], 2, 1); // 7-9
      for (const [a, b] of l.blocks) {
        // ResnetBlock: x + [ReflPad1, Conv3, IN, ReLU, ReflPad1, Conv3, IN](x)
        const y = convNormRelu(reflectPad(h, 1), a, 1, 0);
        h = tf.add(h, instanceNorm(conv2d(reflectPad(y, 1), this.weight(b), this.bias(b), 1, 0)));
      }
      for (const name of l.up) {
        h = tf.relu(instanceNorm(convTranspose2dUp(h, this.weight(name), this.bias(name))));
      }
      return tf.tanh(conv2d(reflectPad(h, 3), this.weight(l.head), this.bias(l.head), 1, 0));
    });
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4) throw new RangeError(`${this.scope}.apply: expected an NHWC tensor of rank 4 but received rank ${x.rank}`);
    const [, h, w, c] = x.shape;
    if (c !== this.architecture.inputNc) {
      throw new RangeError(`${this.scope}.apply: expected ${this.architecture.inputNc} input channels (NHWC) but received ${c} (shape [${x.shape.join(',')}])`);
    }
    if (h % 4 !== 0 || w % 4 !== 0 || h < 8 || w < 8) {
      throw new RangeError(`${this.scope}.apply: height and width must be multiples of 4 and at least 8, received ${w}x${h}; pad or resize the image`);
    }
  }
}
