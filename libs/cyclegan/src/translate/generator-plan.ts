/**
 * The ResNet generator as a flat list of convolutions with what follows each one (instance norm,
 * ReLU, residual add, tanh), built from the generator's own variables and layout. This is what tiled
 * execution walks layer by layer; it reads like networks/resnet-generator.ts `apply`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GeneratorArchitecture } from '../config.ts';
import type { ResnetGenerator } from '../networks/resnet-generator.ts';
import { resnetGeneratorLayout } from '../networks/resnet-generator.ts';

export type ConvKind = 'conv' | 'conv-transpose-up';

/** A step's shape and what follows it, without weights: all that tiled execution needs to walk the plan. */
export interface StepGeometry {
  /** state_dict prefix, e.g. `model.10.conv_block.1`. */
  readonly name: string;
  readonly kind: ConvKind;
  readonly kernel: number;
  readonly stride: 1 | 2;
  /** Padding of the input before a 'valid' conv (none for the transposed conv). */
  readonly pad: { readonly mode: 'reflect' | 'zero'; readonly size: number } | undefined;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Instance norm (no affine, eps 1e-5) on the conv output. */
  readonly norm: boolean;
  readonly relu: boolean;
  readonly tanh: boolean;
  /** Remember this step's input: the residual block starts here. */
  readonly saveSkip: boolean;
  /** Add the remembered input after the (normalised) output: the residual block ends here. */
  readonly addSkip: boolean;
  /** Output grid size relative to the image (1, 1/2 or 1/4). */
  readonly scale: number;
}

export interface PlanStep extends StepGeometry {
  /** TF.js layout: conv [k,k,in,out]; transposed conv [k,k,out,in]. */
  readonly filter: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
}

/** The steps of a ResNet generator of this architecture (weights live under `${name}.weight` / `.bias`). */
export function resnetPlanGeometry(architecture: GeneratorArchitecture): StepGeometry[] {
  const { ngf, nBlocks, inputNc, outputNc } = architecture;
  const l = resnetGeneratorLayout(nBlocks);
  const base = { norm: true, relu: true, tanh: false, saveSkip: false, addSkip: false };
  const steps: StepGeometry[] = [
    { ...base, name: l.stem, kind: 'conv', kernel: 7, stride: 1, pad: { mode: 'reflect', size: 3 }, inChannels: inputNc, outChannels: ngf, scale: 1 },
    { ...base, name: l.down[0], kind: 'conv', kernel: 3, stride: 2, pad: { mode: 'zero', size: 1 }, inChannels: ngf, outChannels: 2 * ngf, scale: 1 / 2 },
    { ...base, name: l.down[1], kind: 'conv', kernel: 3, stride: 2, pad: { mode: 'zero', size: 1 }, inChannels: 2 * ngf, outChannels: 4 * ngf, scale: 1 / 4 },
  ];
  for (const [first, second] of l.blocks) {
    const block = { kind: 'conv' as const, kernel: 3, stride: 1 as const, pad: { mode: 'reflect' as const, size: 1 }, inChannels: 4 * ngf, outChannels: 4 * ngf, scale: 1 / 4 };
    steps.push({ ...base, ...block, name: first, saveSkip: true });
    steps.push({ ...base, ...block, name: second, relu: false, addSkip: true });
  }
  steps.push(
    { ...base, name: l.up[0], kind: 'conv-transpose-up', kernel: 3, stride: 2, pad: undefined, inChannels: 4 * ngf, outChannels: 2 * ngf, scale: 1 / 2 },
    { ...base, name: l.up[1], kind: 'conv-transpose-up', kernel: 3, stride: 2, pad: undefined, inChannels: 2 * ngf, outChannels: ngf, scale: 1 },
    { ...base, name: l.head, kind: 'conv', kernel: 7, stride: 1, pad: { mode: 'reflect', size: 3 }, inChannels: ngf, outChannels: outputNc, norm: false, relu: false, tanh: true, scale: 1 },
  );
  return steps;
}

export function generatorPlan(generator: ResnetGenerator): PlanStep[] {
  return resnetPlanGeometry(generator.architecture).map((step) => ({
    ...step,
    filter: generator.variable(`${step.name}.weight`) as unknown as tf.Tensor4D,
    bias: generator.variable(`${step.name}.bias`) as unknown as tf.Tensor1D,
  }));
}

/** Output rows (or columns) of a step for `n` input rows. */
export function stepOutputSize(step: StepGeometry, n: number): number {
  if (step.kind === 'conv-transpose-up') return 2 * n;
  const p = step.pad?.size ?? 0;
  return Math.floor((n + 2 * p - step.kernel) / step.stride) + 1;
}

/**
 * Input rows [first, last] (inclusive, in unpadded input coordinates; may fall outside the image
 * for padded convs) that output rows [o0, o1) of a step depend on.
 */
export function stepInputRange(step: StepGeometry, o0: number, o1: number, n: number): [number, number] {
  if (step.kind === 'conv-transpose-up') {
    // Output row o is row o+1 of the 'valid' transposed conv, which sums inputs i with 2i + k = o+1, k in 0..2.
    return [Math.max(0, Math.ceil((o0 - 1) / 2)), Math.min(n - 1, Math.floor(o1 / 2))];
  }
  const p = step.pad?.size ?? 0;
  return [o0 * step.stride - p, (o1 - 1) * step.stride - p + step.kernel - 1];
}
