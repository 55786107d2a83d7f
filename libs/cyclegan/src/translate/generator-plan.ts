/**
 * A generator as a flat list of convolutions with what follows each one (instance norm, ReLU,
 * residual add, tanh), read off its kind's step table (networks/generator-steps.ts). This is what
 * tiled execution walks layer by layer (tile-driver.ts), so only tables made of those pieces can be
 * tiled; others run on whole images.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BaseGeneratorArchitecture, Generator, GeneratorKind } from '../networks/generator.ts';
import type { GeneratorStep } from '../networks/generator-steps.ts';

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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What may follow a conv in one plan step, in the order tile-driver.ts applies it: the flag each
 * step sets, and the steps it may come right after (tanh only without norm; ReLU and add after norm).
 */
const FUSED = {
  'instance-norm': { flag: 'norm', after: ['conv'] },
  relu: { flag: 'relu', after: ['instance-norm'] },
  'add-saved': { flag: 'addSkip', after: ['instance-norm', 'relu'] },
  tanh: { flag: 'tanh', after: ['conv'] },
} as const satisfies Partial<Record<GeneratorStep['op'], { flag: keyof StepGeometry; after: readonly string[] }>>;

/**
 * The tiled plan of a step table, or why it has none: each conv (with the reflect pad before it,
 * and a 'save' before that) takes the steps of FUSED that follow it.
 */
export function planGeometry(steps: readonly GeneratorStep[]): StepGeometry[] | string {
  const plan: Array<Mutable<StepGeometry>> = [];
  let scale = 1;
  let reflect: number | undefined;
  let saveSkip = false;
  let previous = '';
  const unfit = (s: GeneratorStep): string => `its ${s.op} step${'name' in s ? ` ${s.name}` : ''} cannot run tile by tile`;
  for (const s of steps) {
    const last = plan.at(-1);
    if (s.op in FUSED) {
      const { flag, after } = FUSED[s.op as keyof typeof FUSED];
      if (!last || !(after as readonly string[]).includes(previous) || (flag === 'addSkip' && !plan.some((p) => p.saveSkip))) return unfit(s);
      last[flag] = true;
    } else if (s.op === 'save') {
      if (saveSkip || reflect !== undefined) return unfit(s);
      saveSkip = true;
    } else if (s.op === 'reflect-pad') {
      if (reflect !== undefined) return unfit(s);
      reflect = s.size;
    } else if (s.op === 'conv' || s.op === 'conv-transpose-up') {
      const transposed = s.op === 'conv-transpose-up';
      if (!s.bias || (transposed ? s.kernel !== 3 || reflect !== undefined : reflect !== undefined && s.zeroPad > 0)) return unfit(s);
      scale = transposed ? scale * 2 : scale / s.stride;
      const pad = transposed ? undefined
        : reflect !== undefined ? { mode: 'reflect' as const, size: reflect }
          : s.zeroPad > 0 ? { mode: 'zero' as const, size: s.zeroPad } : undefined;
      plan.push({
        name: s.name, kind: transposed ? 'conv-transpose-up' : 'conv', kernel: s.kernel, stride: transposed ? 2 : s.stride, pad,
        inChannels: s.inC, outChannels: s.outC, norm: false, relu: false, tanh: false, saveSkip, addSkip: false, scale,
      });
      reflect = undefined;
      saveSkip = false;
    } else {
      return unfit(s);
    }
    previous = s.op === 'conv-transpose-up' ? 'conv' : s.op;
  }
  if (plan.length === 0 || reflect !== undefined || saveSkip) return 'its step table ends before a conv runs';
  return plan;
}

/** The tiled plan of a kind's network of this architecture, or why it runs on whole images. */
export function generatorPlanGeometry<A extends BaseGeneratorArchitecture>(kind: GeneratorKind<A>, architecture: A): StepGeometry[] | string {
  return kind.wholeImageOnly ?? planGeometry(kind.steps(architecture));
}

/** The tiled plan with the generator's own variables as weights, or why it runs on whole images. */
export function generatorPlan(generator: Generator): PlanStep[] | string {
  const geometry = generatorPlanGeometry(generator.kind, generator.architecture);
  if (typeof geometry === 'string') return geometry;
  return geometry.map((step) => ({
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
