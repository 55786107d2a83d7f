/**
 * The vocabulary of generator step tables. A generator kind writes its network once, as one flat
 * table of these steps in forward order, each parameterised layer under its reference state_dict
 * prefix (the nn.Sequential path). Its parameters (stepSpecs below), the TF.js forward pass
 * (generator.ts), the tiled plan (translate/generator-plan.ts) and the ONNX graph (onnx/export.ts)
 * are all read off that table. 'save' pushes the current activation; 'add-saved' (residual block)
 * and 'concat-saved' (U-Net skip, the saved half first) pop it.
 */
import {
  batchNorm2dParams, blurFilterParams, conv2dNoBiasParams, conv2dParams, convTranspose2dNoBiasParams, convTranspose2dParams, type ParamSpec,
} from './parameters.ts';

/** CUT's filter sizes (networks.py defaults: Downsample filt_size 3, Upsample filt_size 4). */
export const BLUR_DOWN_SIZE = 3;
export const BLUR_UP_SIZE = 4;

export type GeneratorStep =
  /** nn.ReflectionPad2d(size); `name` is the module's path (it has no parameters). */
  | { readonly op: 'reflect-pad'; readonly name: string; readonly size: number }
  /** nn.Conv2d(inC, outC, kernel, stride, padding=zeroPad, bias). */
  | {
    readonly op: 'conv'; readonly name: string; readonly inC: number; readonly outC: number;
    readonly kernel: number; readonly stride: 1 | 2; readonly zeroPad: number; readonly bias: boolean;
  }
  /**
   * Stride-2 nn.ConvTranspose2d that doubles the size: kernel 3 with padding 1 and output_padding 1
   * (ResNet), kernel 4 with padding 1 (U-Net), or kernel 2 without padding (the bilateral
   * generator's light decoder; that kind runs its own forward pass and ONNX graph).
   */
  | { readonly op: 'conv-transpose-up'; readonly name: string; readonly inC: number; readonly outC: number; readonly kernel: 2 | 3 | 4; readonly bias: boolean }
  /** nn.InstanceNorm2d(channels, affine=False), eps 1e-5. */
  | { readonly op: 'instance-norm'; readonly channels: number }
  /** nn.BatchNorm2d(channels) (networks/batch-norm.ts). */
  | { readonly op: 'batch-norm'; readonly name: string; readonly channels: number }
  | { readonly op: 'relu' }
  | { readonly op: 'leaky-relu'; readonly slope: number }
  | { readonly op: 'tanh' }
  /** nn.Dropout(0.5): masks given by the forward pass (identity when off). */
  | { readonly op: 'dropout'; readonly name: string }
  | { readonly op: 'save' }
  /** Saved + current; `name` is the block's module path. */
  | { readonly op: 'add-saved'; readonly name: string }
  | { readonly op: 'concat-saved' }
  /** CUT's Downsample(channels): reflection pad 1, then each channel convolved with its 3x3 blur `filt`, stride 2. */
  | { readonly op: 'blur-down'; readonly name: string; readonly channels: number }
  /** CUT's Upsample(channels): replication pad 1, then each channel transposed-convolved with its 4x4 `filt`, stride 2, cropped to 2x. */
  | { readonly op: 'blur-up'; readonly name: string; readonly channels: number };

export type GeneratorOp = GeneratorStep['op'];

/** Every state_dict entry of a step table, in PyTorch state_dict order (the table's order). */
export function stepSpecs(steps: readonly GeneratorStep[]): ParamSpec[] {
  return steps.flatMap((s) => {
    switch (s.op) {
      case 'conv':
        return s.bias ? conv2dParams(s.name, s.inC, s.outC, s.kernel) : conv2dNoBiasParams(s.name, s.inC, s.outC, s.kernel);
      case 'conv-transpose-up':
        return s.bias ? convTranspose2dParams(s.name, s.inC, s.outC, s.kernel) : convTranspose2dNoBiasParams(s.name, s.inC, s.outC, s.kernel);
      case 'batch-norm':
        return batchNorm2dParams(s.name, s.channels);
      case 'blur-down':
        return blurFilterParams(s.name, s.channels, 'blur-down-filter', BLUR_DOWN_SIZE);
      case 'blur-up':
        return blurFilterParams(s.name, s.channels, 'blur-up-filter', BLUR_UP_SIZE);
      default:
        return [];
    }
  });
}

/** One module of an nn.Sequential: its steps, given the module's path. */
export type SequentialModule = (name: string) => GeneratorStep | GeneratorStep[];

/**
 * The steps of an nn.Sequential registered at `prefix`: module i is named `${prefix}.${i}`, as its
 * state_dict keys are. Kinds list their modules in the reference's order and never write an index.
 */
export function sequential(prefix: string, modules: readonly SequentialModule[]): GeneratorStep[] {
  return modules.flatMap((module, i) => module(`${prefix}.${i}`));
}

/** Names of the parameterised layers (conv and transposed conv) of a table, in order. */
export function convNames(steps: readonly GeneratorStep[]): string[] {
  return steps.flatMap((s) => (s.op === 'conv' || s.op === 'conv-transpose-up' ? [s.name] : []));
}

/**
 * A repeat count read off a state_dict by growing the table: from `from`, count up while the first
 * conv that table(n + 1) has and table(n) lacks is in `shapes` (at most `max`).
 */
export function inferRepeats(shapes: ReadonlyMap<string, unknown>, table: (n: number) => readonly GeneratorStep[], from: number, max: number): number {
  let n = from;
  while (n < max) {
    const known = new Set(convNames(table(n)));
    const next = convNames(table(n + 1)).find((name) => !known.has(name));
    if (next === undefined || !shapes.has(`${next}.weight`)) break;
    n++;
  }
  return n;
}
