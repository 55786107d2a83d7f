/**
 * The four networks, two optimisers and two image pools of a CycleGAN, and one training iteration
 * exactly as junyanz models/cycle_gan_model.py optimize_parameters:
 *   forward: fake_B = G_A(A), rec_A = G_B(fake_B), fake_A = G_B(B), rec_B = G_A(fake_A)
 *   G step (D frozen): GAN(D_A(fake_B), real) + GAN(D_B(fake_A), real)
 *                      + λ_A·|rec_A − A| + λ_B·|rec_B − B| + λ_idt·(λ_B·|G_A(B) − B| + λ_A·|G_B(A) − A|)
 *   D step: D_A on B vs pooled fake_B, D_B on A vs pooled fake_A, each (real + fake)·0.5,
 *           with the fakes of this iteration's forward pass (before the G update).
 */
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.ts';
import {
  discriminatorArchitectureOf,
  generatorArchitectureOf,
  generatorKindOf,
  resolveArchitecture,
  type CycleGanArchitecture,
  type GeneratorArchitecture,
  type NetworkName,
} from '../config.ts';
import { registerMirrorPadGradient } from '../kernels/index.ts';
import type { Generator } from '../networks/generator.ts';
import { BilateralGenerator } from '../networks/bilateral-generator.ts';
import { defineGenerator } from '../networks/generator-kinds.ts';
import type { Network, NetworkOptions } from '../networks/network.ts';
import { PatchDiscriminator } from '../networks/patch-discriminator.ts';
import { deriveSeed } from '../random.ts';
import { ImagePool, type ImagePoolState } from './image-pool.ts';
import { GAN_MODES, ganLoss, l1Loss, type GanMode } from './losses.ts';
import { Adam, type AdamState } from './optimizer.ts';
import { RandomStream } from './random-stream.ts';

export interface CycleGanLossOptions {
  /** Cycle weight A→B→A (reference `--lambda_A`). */
  readonly lambdaA: number;
  /** Cycle weight B→A→B (`--lambda_B`). */
  readonly lambdaB: number;
  /** Identity weight relative to the cycle weights (`--lambda_identity`); 0 turns it off. */
  readonly lambdaIdentity: number;
  /**
   * Weight of the bilateral generators' anchor to their starting tone prior: the mean squared
   * difference between the coefficient head's output in every grid cell and the prior's values
   * (anchorToPrior); 0 turns it off. Unpaired: it compares the network with its own start.
   */
  readonly lambdaPrior: number;
  readonly ganMode: GanMode;
}

export interface CycleGanModelOptions extends CycleGanLossOptions {
  /** Base learning rate (`--lr`). */
  readonly lr: number;
  /** Adam β1 (`--beta1`); β2 is 0.999 and ε 1e-8 as in the reference. */
  readonly beta1: number;
  /** Fakes kept for the discriminators (`--pool_size`). */
  readonly poolSize: number;
  /** One seed for the weight init and every random choice of the run. */
  readonly seed: number;
  /** Std of the N(0, gain) weight init (`--init_gain`). */
  readonly initGain: number;
}

export const DEFAULT_MODEL_OPTIONS: Readonly<CycleGanModelOptions> = Object.freeze({
  lambdaA: 10,
  lambdaB: 10,
  lambdaIdentity: 0.5,
  lambdaPrior: 0,
  ganMode: 'lsgan',
  lr: 0.0002,
  beta1: 0.5,
  poolSize: 50,
  seed: 0,
  initGain: 0.02,
});

/** The reference's loss_names, in its order. */
export const LOSS_NAMES = Object.freeze(['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B'] as const);
/** The prior anchor's terms, logged after the reference's losses when lambdaPrior is on. */
export const PRIOR_LOSS_NAMES = Object.freeze(['prior_A', 'prior_B'] as const);
export type LossName = (typeof LOSS_NAMES)[number] | (typeof PRIOR_LOSS_NAMES)[number];
/**
 * The generator terms in the order the reference sums them (loss_G = G_A + G_B + cycle_A + cycle_B +
 * idt_A + idt_B), then the prior anchor's: float addition is not associative, so the sum follows the
 * reference's order.
 */
const GENERATOR_SUM_ORDER: readonly LossName[] = Object.freeze(['G_A', 'G_B', 'cycle_A', 'cycle_B', 'idt_A', 'idt_B', ...PRIOR_LOSS_NAMES]);

/** Mean squared difference between a coefficient head's output [N, h, w, C] and the prior's values [C] in every cell. */
export function priorAnchorLoss(head: tf.Tensor4D, prior: Float32Array): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(head, tf.tensor1d(prior))) as tf.Scalar);
}
export type CycleGanLosses = Readonly<Record<LossName, number>>;

/** The first image of the batch of the visuals every translation model has, HWC values in [-1, 1]. */
export interface TranslationVisuals {
  readonly height: number;
  readonly width: number;
  readonly channelsA: number;
  readonly channelsB: number;
  readonly realA: Float32Array;
  readonly fakeB: Float32Array;
  readonly realB: Float32Array;
}

/** CycleGAN's visuals: the translation both ways and the reconstructions. */
export interface CycleGanVisuals extends TranslationVisuals {
  readonly recA: Float32Array;
  readonly fakeA: Float32Array;
  readonly recB: Float32Array;
}

export interface IterationResult {
  readonly losses: CycleGanLosses;
  /** Present when asked for. */
  readonly visuals?: CycleGanVisuals;
}

/** Everything besides the weights that a run needs to continue exactly. */
export interface CycleGanModelState {
  readonly optimizerG: AdamState;
  readonly optimizerD: AdamState;
  readonly poolFakeA: ImagePoolState;
  readonly poolFakeB: ImagePoolState;
}

export function resolveModelOptions(options: Partial<CycleGanModelOptions> = {}): CycleGanModelOptions {
  const o = { ...DEFAULT_MODEL_OPTIONS, ...options };
  const nonNegative = ['lambdaA', 'lambdaB', 'lambdaIdentity', 'lambdaPrior', 'lr', 'initGain'] as const;
  for (const key of nonNegative) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key]) || o[key] < 0) {
      throw new TypeError(`Expected a finite number >= 0 for ${key} but received ${String(o[key])}`);
    }
  }
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw new TypeError(`Expected beta1 in [0, 1) but received ${String(o.beta1)}`);
  if (!Number.isInteger(o.poolSize) || o.poolSize < 0) {
    throw new TypeError(`Expected a non-negative integer poolSize but received ${String(o.poolSize)}`);
  }
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) {
    throw new TypeError(`Expected a non-negative integer seed but received ${String(o.seed)}`);
  }
  if (!GAN_MODES.includes(o.ganMode)) {
    throw new TypeError(`Unknown ganMode ${JSON.stringify(o.ganMode)}; valid modes are: ${GAN_MODES.join(', ')}`);
  }
  return Object.freeze(o);
}

export class CycleGanModel {
  readonly architecture: CycleGanArchitecture;
  readonly options: CycleGanModelOptions;
  readonly G_A: Generator<GeneratorArchitecture>;
  readonly G_B: Generator<GeneratorArchitecture>;
  readonly D_A: PatchDiscriminator;
  readonly D_B: PatchDiscriminator;
  readonly optimizerG: Adam;
  readonly optimizerD: Adam;
  readonly poolFakeA: ImagePool;
  readonly poolFakeB: ImagePool;
  private priorHeads?: { readonly G_A: Float32Array; readonly G_B: Float32Array };

  constructor(architecture: Partial<CycleGanArchitecture> = {}, options: Partial<CycleGanModelOptions> = {}) {
    registerMirrorPadGradient(); // tfjs-core's own MirrorPad gradient drops the reflected border
    this.architecture = resolveArchitecture(architecture);
    this.options = resolveModelOptions(options);
    if (this.options.lambdaIdentity > 0 && this.architecture.inputNc !== this.architecture.outputNc) {
      throw new TypeError('The identity loss needs inputNc === outputNc; set lambdaIdentity to 0');
    }
    const { seed, initGain } = this.options;
    const net = (name: NetworkName) => ({ seed: deriveSeed(seed, name), initGain, name });
    this.G_A = makeGenerator(generatorArchitectureOf(this.architecture, 'G_A'), net('G_A'));
    this.G_B = makeGenerator(generatorArchitectureOf(this.architecture, 'G_B'), net('G_B'));
    this.D_A = new PatchDiscriminator(discriminatorArchitectureOf(this.architecture, 'D_A'), net('D_A'));
    this.D_B = new PatchDiscriminator(discriminatorArchitectureOf(this.architecture, 'D_B'), net('D_B'));
    const adam = { beta1: this.options.beta1, beta2: 0.999, eps: 1e-8 };
    this.optimizerG = new Adam([...this.G_A.variables(), ...this.G_B.variables()], adam);
    this.optimizerD = new Adam([...this.D_A.variables(), ...this.D_B.variables()], adam);
    this.poolFakeA = new ImagePool(this.options.poolSize, new RandomStream(deriveSeed(seed, 'pool_fake_A')));
    this.poolFakeB = new ImagePool(this.options.poolSize, new RandomStream(deriveSeed(seed, 'pool_fake_B')));
  }

  /**
   * The coefficient head values [27] of each bilateral generator's tone prior, which the lambdaPrior
   * term holds the heads' outputs to; computed from the image folders, so a resumed run sets the same.
   */
  anchorToPrior(heads: { readonly G_A: Float32Array; readonly G_B: Float32Array }): void {
    if (!(this.G_A instanceof BilateralGenerator) || !(this.G_B instanceof BilateralGenerator)) {
      throw new TypeError('The tone prior anchor (lambdaPrior) needs bilateral generators');
    }
    this.priorHeads = heads;
  }

  /** The networks by their reference names. */
  networks(): ReadonlyMap<NetworkName, Network<unknown>> {
    return new Map<NetworkName, Network<unknown>>([
      ['G_A', this.G_A],
      ['G_B', this.G_B],
      ['D_A', this.D_A],
      ['D_B', this.D_B],
    ]);
  }

  /**
   * One optimize_parameters step on a batch: realA [N,H,W,inputNc], realB [N,H,W,outputNc], both
   * in [-1, 1]; `lr` is the scheduled learning rate of both optimisers.
   */
  async optimizeParameters(realA: tf.Tensor4D, realB: tf.Tensor4D, lr: number, withVisuals = false): Promise<IterationResult> {
    const { lambdaA, lambdaB, lambdaIdentity: lambdaIdt, lambdaPrior, ganMode } = this.options;
    const anchor = lambdaPrior > 0 ? this.priorHeads : undefined;
    if (lambdaPrior > 0 && !anchor) throw new TypeError('lambdaPrior > 0 needs the prior: call anchorToPrior first');
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    try {
      const lossTensors = {} as Record<LossName, tf.Scalar>;
      let fakeB!: tf.Tensor4D;
      let fakeA!: tf.Tensor4D;
      let recA!: tf.Tensor4D;
      let recB!: tf.Tensor4D;
      const gStep = tf.variableGrads(() => {
        // With the anchor, the translation also returns the coefficient head of the same pass.
        const translate = (g: Generator<GeneratorArchitecture>, x: tf.Tensor4D): { output: tf.Tensor4D; head?: tf.Tensor4D } =>
          (anchor ? (g as BilateralGenerator).applyWithHead(x) : { output: g.apply(x) });
        const toB = translate(this.G_A, realA);
        fakeB = keep(toB.output);
        recA = this.G_B.apply(fakeB);
        const toA = translate(this.G_B, realB);
        fakeA = keep(toA.output);
        recB = this.G_A.apply(fakeA);
        if (withVisuals) {
          keep(recA);
          keep(recB);
        }
        const terms: tf.Scalar[] = [];
        const term = (name: LossName, value: tf.Scalar): void => {
          lossTensors[name] = keep(value);
          terms.push(value);
        };
        if (lambdaIdt > 0) {
          term('idt_A', tf.mul(l1Loss(this.G_A.apply(realB), realB), lambdaB * lambdaIdt));
          term('idt_B', tf.mul(l1Loss(this.G_B.apply(realA), realA), lambdaA * lambdaIdt));
        }
        term('G_A', ganLoss(this.D_A.apply(fakeB), true, ganMode));
        term('G_B', ganLoss(this.D_B.apply(fakeA), true, ganMode));
        term('cycle_A', tf.mul(l1Loss(recA, realA), lambdaA));
        term('cycle_B', tf.mul(l1Loss(recB, realB), lambdaB));
        if (anchor) {
          term('prior_A', tf.mul(priorAnchorLoss(toB.head!, anchor.G_A), lambdaPrior));
          term('prior_B', tf.mul(priorAnchorLoss(toA.head!, anchor.G_B), lambdaPrior));
        }
        return tf.addN(GENERATOR_SUM_ORDER.filter((n) => lossTensors[n] !== undefined).map((n) => lossTensors[n]));
      }, [...this.optimizerG.variables]);
      gStep.value.dispose();
      this.optimizerG.applyNamed(gStep.grads, lr);

      const pooledFakeB = keep(await this.poolFakeB.query(fakeB));
      const pooledFakeA = keep(await this.poolFakeA.query(fakeA));
      const dStep = tf.variableGrads(() => {
        const dLoss = (d: PatchDiscriminator, real: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar =>
          tf.mul(tf.add(ganLoss(d.apply(real), true, ganMode), ganLoss(d.apply(fake), false, ganMode)), 0.5);
        lossTensors.D_A = keep(dLoss(this.D_A, realB, pooledFakeB));
        lossTensors.D_B = keep(dLoss(this.D_B, realA, pooledFakeA));
        return tf.add(lossTensors.D_A, lossTensors.D_B);
      }, [...this.optimizerD.variables]);
      dStep.value.dispose();
      this.optimizerD.applyNamed(dStep.grads, lr);

      const losses = {} as Record<LossName, number>;
      for (const name of [...LOSS_NAMES, ...PRIOR_LOSS_NAMES]) losses[name] = lossTensors[name] ? (await lossTensors[name].data())[0] : 0;
      const result: IterationResult = { losses: Object.freeze(losses) };
      if (!withVisuals) return result;
      const first = async (t: tf.Tensor4D): Promise<Float32Array> => {
        const per = t.shape[1] * t.shape[2] * t.shape[3];
        return ((await t.data()) as Float32Array).slice(0, per);
      };
      const [, height, width, channelsA] = realA.shape;
      return {
        ...result,
        visuals: {
          height,
          width,
          channelsA,
          channelsB: realB.shape[3],
          realA: await first(realA),
          fakeB: await first(fakeB),
          recA: await first(recA),
          realB: await first(realB),
          fakeA: await first(fakeA),
          recB: await first(recB),
        },
      };
    } finally {
      for (const t of kept) t.dispose();
    }
  }

  async state(): Promise<CycleGanModelState> {
    return {
      optimizerG: await this.optimizerG.state(),
      optimizerD: await this.optimizerD.state(),
      poolFakeA: this.poolFakeA.state(),
      poolFakeB: this.poolFakeB.state(),
    };
  }

  restore(state: CycleGanModelState): void {
    this.optimizerG.restore(state.optimizerG);
    this.optimizerD.restore(state.optimizerD);
    this.poolFakeA.restore(state.poolFakeA);
    this.poolFakeB.restore(state.poolFakeB);
  }

  dispose(): void {
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    for (const net of this.networks().values()) net.dispose();
  }
}

/** The generator of the architecture's kind (the ResNet unless it names another). */
function makeGenerator(architecture: GeneratorArchitecture, options: NetworkOptions): Generator<GeneratorArchitecture> {
  return defineGenerator(generatorKindOf(architecture), architecture as unknown as Record<string, unknown>, options as NetworkOptions & Record<string, unknown>) as Generator<GeneratorArchitecture>;
}
