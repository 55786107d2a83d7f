/**
 * The reference ResnetGenerator (junyanz models/networks.py, `resnet_9blocks` / `resnet_6blocks`,
 * instance norm, no dropout), as a step table: its nn.Sequential module by module, so that every
 * state_dict key (`model.1`, `model.10.conv_block.1`, ...) comes from the module's position.
 */
import { resolveGeneratorArchitecture, type GeneratorArchitecture } from '../config.ts';
import { Generator, generatorSpecs, type GeneratorKind, type StateDictShapes } from './generator.ts';
import { convNames, inferRepeats, sequential, type GeneratorStep, type SequentialModule } from './generator-steps.ts';
import type { NetworkOptions } from './network.ts';
import type { ParamSpec } from './parameters.ts';
import { convShape, resolveInferred } from './state-dict-shapes.ts';

const pad = (size: number): SequentialModule => (name) => ({ op: 'reflect-pad', name, size });
const conv = (inC: number, outC: number, kernel: number, stride: 1 | 2, zeroPad: number): SequentialModule =>
  (name) => ({ op: 'conv', name, inC, outC, kernel, stride, zeroPad, bias: true });
const up = (inC: number, outC: number): SequentialModule => (name) => ({ op: 'conv-transpose-up', name, inC, outC, kernel: 3, bias: true });
const norm = (channels: number): SequentialModule => () => ({ op: 'instance-norm', channels });
const relu: SequentialModule = () => ({ op: 'relu' });

/** ResnetBlock: x + conv_block(x), conv_block = [ReflPad1, Conv3, IN, ReLU, ReflPad1, Conv3, IN]. */
const resnetBlock = (c: number): SequentialModule => (name) => [
  { op: 'save' },
  ...sequential(`${name}.conv_block`, [pad(1), conv(c, c, 3, 1, 0), norm(c), relu, pad(1), conv(c, c, 3, 1, 0), norm(c)]),
  { op: 'add-saved', name },
];

/** The generator's layers in forward order (the reference nn.Sequential `model`). */
export function resnetGeneratorSteps(architecture: GeneratorArchitecture): GeneratorStep[] {
  const { inputNc, outputNc, ngf, nBlocks } = architecture;
  return sequential('model', [
    pad(3), conv(inputNc, ngf, 7, 1, 0), norm(ngf), relu,
    conv(ngf, 2 * ngf, 3, 2, 1), norm(2 * ngf), relu,
    conv(2 * ngf, 4 * ngf, 3, 2, 1), norm(4 * ngf), relu,
    ...Array.from({ length: nBlocks }, () => resnetBlock(4 * ngf)),
    up(4 * ngf, 2 * ngf), norm(2 * ngf), relu,
    up(2 * ngf, ngf), norm(ngf), relu,
    pad(3), conv(ngf, outputNc, 7, 1, 0), () => ({ op: 'tanh' }),
  ]);
}

/**
 * Where a ResnetGenerator state_dict keeps its stem conv, first block conv and head conv (weight
 * keys), and its block count: counted off the tensors by growing the table, or `nBlocks` when given.
 */
export function resnetLayoutOf(tensors: ReadonlyMap<string, unknown>, nBlocks?: number): { stem: string; firstBlock: string; head: string; nBlocks: number } {
  const table = (n: number) => resnetGeneratorSteps({ inputNc: 1, outputNc: 1, ngf: 1, nBlocks: n });
  // One past the largest valid count, so that too many blocks is reported as invalid.
  const n = nBlocks ?? inferRepeats(tensors, table, 0, 65);
  const convs = convNames(table(n));
  const withoutBlocks = new Set(convNames(table(0)));
  return {
    stem: `${convs[0]}.weight`,
    firstBlock: `${convNames(table(1)).find((name) => !withoutBlocks.has(name))}.weight`,
    head: `${convs.at(-1)}.weight`,
    nBlocks: n,
  };
}

/** ngf, nBlocks, inputNc and outputNc read off a ResnetGenerator state_dict. */
export function inferGeneratorArchitecture(tensors: StateDictShapes, file: string): GeneratorArchitecture {
  const layout = resnetLayoutOf(tensors);
  const stem = convShape(tensors, layout.stem, file, 'ResnetGenerator');
  const head = convShape(tensors, layout.head, file, `ResnetGenerator (${layout.nBlocks} residual blocks)`);
  return resolveInferred(file, 'generator', resolveGeneratorArchitecture, { ngf: stem[0], inputNc: stem[1], nBlocks: layout.nBlocks, outputNc: head[0] });
}

/**
 * The reference's own requirement for an output of the input's size (two stride-2 downsamplings and
 * reflection padding); CUT's ResnetGenerator has the same trunk.
 */
export const resnetInputSize = () => ({ multiple: 4, min: 8, rule: 'multiples of 4 and at least 8' });

export const RESNET_GENERATOR: GeneratorKind<GeneratorArchitecture> = Object.freeze({
  name: 'resnet',
  className: 'ResnetGenerator',
  description: 'a CycleGAN ResNet generator',
  resolve: resolveGeneratorArchitecture,
  steps: resnetGeneratorSteps,
  inputSize: resnetInputSize,
  infer: inferGeneratorArchitecture,
  onnx: {
    graphName: ({ nBlocks, ngf }: GeneratorArchitecture) => `resnet_${nBlocks}blocks_ngf${ngf}`,
    doc: 'CycleGAN ResnetGenerator (junyanz/pytorch-CycleGAN-and-pix2pix)',
  },
  info: ({ nBlocks }: GeneratorArchitecture) => ({ nBlocks }),
  create: (architecture: GeneratorArchitecture, options: NetworkOptions) => new ResnetGenerator(architecture, options),
});

/** Every parameter of the generator, in PyTorch state_dict order. */
export function resnetGeneratorSpecs(options: Partial<GeneratorArchitecture> = {}): ParamSpec[] {
  return generatorSpecs(RESNET_GENERATOR, options);
}

/** x: [N, H, W, inputNc] in [-1, 1], H and W multiples of 4 -> [N, H, W, outputNc] in [-1, 1]. */
export class ResnetGenerator extends Generator<GeneratorArchitecture> {
  constructor(architecture: Partial<GeneratorArchitecture> = {}, options: NetworkOptions = {}) {
    super(RESNET_GENERATOR, architecture, options);
  }
}
