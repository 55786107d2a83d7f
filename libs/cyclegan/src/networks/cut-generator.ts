/**
 * The CUT / FastCUT generator (taesungp/contrastive-unpaired-translation models/networks.py
 * ResnetGenerator with its defaults, instance norm): the CycleGAN ResNet with anti-aliased
 * resampling. Each stride-2 conv becomes a stride-1 conv followed by a blur-pool `Downsample`
 * (reflection pad, 3x3 binomial filter, stride 2), and each transposed conv becomes a blur
 * `Upsample` (replication pad, 4x4 binomial filter, stride 2) followed by a stride-1 conv. The
 * filters are buffers (`filt`) in the state_dict, so checkpoints carry them and they are read from
 * the file like any weight.
 */
import { DatasetError } from '@nightshift/labels';
import { resolveGeneratorArchitecture, type GeneratorArchitecture } from '../config.ts';
import { Generator, type GeneratorKind, type StateDictShapes } from './generator.ts';
import { convNames, inferRepeats, sequential, type GeneratorStep, type SequentialModule } from './generator-steps.ts';
import type { NetworkOptions } from './network.ts';
import { resnetInputSize } from './resnet-generator.ts';
import { convShape, resolveInferred } from './state-dict-shapes.ts';

const pad = (size: number): SequentialModule => (name) => ({ op: 'reflect-pad', name, size });
const conv = (inC: number, outC: number, kernel: number, zeroPad: number): SequentialModule =>
  (name) => ({ op: 'conv', name, inC, outC, kernel, stride: 1, zeroPad, bias: true });
const norm = (channels: number): SequentialModule => () => ({ op: 'instance-norm', channels });
const relu: SequentialModule = () => ({ op: 'relu' });
const down = (channels: number): SequentialModule => (name) => ({ op: 'blur-down', name, channels });
const up = (channels: number): SequentialModule => (name) => ({ op: 'blur-up', name, channels });

/** ResnetBlock, as in the CycleGAN generator: x + [ReflPad1, Conv3, IN, ReLU, ReflPad1, Conv3, IN](x). */
const resnetBlock = (c: number): SequentialModule => (name) => [
  { op: 'save' },
  ...sequential(`${name}.conv_block`, [pad(1), conv(c, c, 3, 0), norm(c), relu, pad(1), conv(c, c, 3, 0), norm(c)]),
  { op: 'add-saved', name },
];

/** The generator's layers in forward order (the reference nn.Sequential `model`). */
export function cutGeneratorSteps(architecture: GeneratorArchitecture): GeneratorStep[] {
  const { inputNc, outputNc, ngf, nBlocks } = architecture;
  return sequential('model', [
    pad(3), conv(inputNc, ngf, 7, 0), norm(ngf), relu,
    conv(ngf, 2 * ngf, 3, 1), norm(2 * ngf), relu, down(2 * ngf),
    conv(2 * ngf, 4 * ngf, 3, 1), norm(4 * ngf), relu, down(4 * ngf),
    ...Array.from({ length: nBlocks }, () => resnetBlock(4 * ngf)),
    up(4 * ngf), conv(4 * ngf, 2 * ngf, 3, 1), norm(2 * ngf), relu,
    up(2 * ngf), conv(2 * ngf, ngf, 3, 1), norm(ngf), relu,
    pad(3), conv(ngf, outputNc, 7, 0), () => ({ op: 'tanh' }),
  ]);
}

/** ngf, nBlocks and the channels read off a CUT generator state_dict (its `filt` buffers tell it apart). */
export function inferCutGeneratorArchitecture(tensors: StateDictShapes, file: string): GeneratorArchitecture {
  const table = (nBlocks: number) => cutGeneratorSteps({ inputNc: 1, outputNc: 1, ngf: 1, nBlocks });
  const firstBlur = table(0).find((s) => s.op === 'blur-down')!;
  if (!('name' in firstBlur) || !tensors.has(`${firstBlur.name}.filt`)) {
    throw new DatasetError(file, `not a CUT generator state_dict: no blur filter ${'name' in firstBlur ? firstBlur.name : ''}.filt`);
  }
  const stem = convShape(tensors, `${convNames(table(0))[0]}.weight`, file, 'CUT ResnetGenerator');
  const nBlocks = inferRepeats(tensors, table, 0, 65);
  const head = convShape(tensors, `${convNames(table(nBlocks)).at(-1)}.weight`, file, `CUT ResnetGenerator (${nBlocks} residual blocks)`);
  return resolveInferred(file, 'CUT generator', resolveGeneratorArchitecture, { ngf: stem[0], inputNc: stem[1], nBlocks, outputNc: head[0] });
}

export const CUT_GENERATOR: GeneratorKind<GeneratorArchitecture> = Object.freeze({
  name: 'cut-resnet',
  className: 'CutResnetGenerator',
  description: 'a CUT (contrastive unpaired translation) ResNet generator',
  resolve: resolveGeneratorArchitecture,
  steps: cutGeneratorSteps,
  inputSize: resnetInputSize,
  infer: inferCutGeneratorArchitecture,
  onnx: {
    graphName: ({ nBlocks, ngf }: GeneratorArchitecture) => `cut_resnet_${nBlocks}blocks_ngf${ngf}`,
    doc: 'CUT ResnetGenerator (taesungp/contrastive-unpaired-translation)',
  },
  info: ({ nBlocks }: GeneratorArchitecture) => ({ nBlocks }),
  create: (architecture: GeneratorArchitecture, options: NetworkOptions) => new Generator(CUT_GENERATOR, architecture, options),
});
