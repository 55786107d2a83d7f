/**
 * The pix2pix generator, conditional discriminator and their optimisers, and one training iteration
 * exactly as junyanz models/pix2pix_model.py optimize_parameters:
 *   forward:  fake_B = G(A)                                   (G BatchNorm statistics move once)
 *   D step:   0.5·(GAN(D(cat(A, fake_B).detach()), fake) + GAN(D(cat(A, B)), real))
 *             (pool_size 0: the pool returns its input; D statistics move for the fake, then the real pass)
 *   G step:   GAN(D'(cat(A, fake_B)), real) + λ_L1·|fake_B − B|   with D' the just-updated D
 *             (D frozen but in train mode, so its statistics move a third time)
 *
 * TF.js records gradients only inside one tf.variableGrads call, so the G step recomputes fake_B
 * with the same weights, the same dropout masks and the same batch statistics (the value is
 * identical) instead of keeping the forward pass's graph across the D update; only the first pass
 * moves G's running statistics, as in the reference. Dropout masks of iteration i come from
 * SeededDropoutMasks(deriveSeed(seed, 'dropout/i')), so a resumed run draws the same masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../train/register-gradients.ts';
import { commitBatchStats, disposeBatchStats, type BatchStatsLog } from '../networks/batch-norm.ts';
import type { Network } from '../networks/network.ts';
import { PatchDiscriminator } from '../networks/patch-discriminator.ts';
import { resolveUnetArchitecture, SeededDropoutMasks, UNET_256, UnetGenerator, type DropoutMasks, type UnetGeneratorArchitecture } from '../networks/unet-generator.ts';
import { deriveSeed } from '../random.ts';
import { resolveDiscriminatorArchitecture } from '../config.ts';
import { GAN_MODES, ganLoss, l1Loss, type GanMode } from '../train/losses.ts';
import { Adam, type AdamState } from '../train/optimizer.ts';
import type { TranslationVisuals } from '../train/cyclegan-model.ts';

/** The generator's architecture plus the discriminator's (`--ndf`, `--n_layers_D`; D has inputNc + outputNc channels and G's norm). */
export interface Pix2PixArchitecture extends UnetGeneratorArchitecture {
  readonly ndf: number;
  readonly nLayers: number;
}

/** pix2pix defaults: unet_256, batch norm, dropout, basic 70x70 PatchGAN with 64 filters. */
export const PIX2PIX_ARCHITECTURE: Readonly<Pix2PixArchitecture> = Object.freeze({ ...UNET_256, ndf: 64, nLayers: 3 });

export function resolvePix2PixArchitecture(options: Partial<Pix2PixArchitecture> = {}): Pix2PixArchitecture {
  const { ndf, nLayers, ...g } = { ...PIX2PIX_ARCHITECTURE, ...options };
  const generator = resolveUnetArchitecture(g);
  const d = resolveDiscriminatorArchitecture({ inputNc: generator.inputNc + generator.outputNc, ndf, nLayers });
  return Object.freeze({ ...generator, ndf: d.ndf, nLayers: d.nLayers });
}

export interface Pix2PixModelOptions {
  /** Weight of the L1 term (`--lambda_L1`, 100). */
  readonly lambdaL1: number;
  /** pix2pix trains with 'vanilla' (BCE with logits). */
  readonly ganMode: GanMode;
  readonly lr: number;
  readonly beta1: number;
  readonly seed: number;
  readonly initGain: number;
}

export const DEFAULT_PIX2PIX_OPTIONS: Readonly<Pix2PixModelOptions> = Object.freeze({
  lambdaL1: 100,
  ganMode: 'vanilla',
  lr: 0.0002,
  beta1: 0.5,
  seed: 0,
  initGain: 0.02,
});

export function resolvePix2PixOptions(options: Partial<Pix2PixModelOptions> = {}): Pix2PixModelOptions {
  const o = { ...DEFAULT_PIX2PIX_OPTIONS, ...options };
  for (const key of ['lambdaL1', 'lr', 'initGain'] as const) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key]) || o[key] < 0) {
      throw new TypeError(`Expected a finite number >= 0 for ${key} but received ${String(o[key])}`);
    }
  }
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw new TypeError(`Expected beta1 in [0, 1) but received ${String(o.beta1)}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new TypeError(`Expected a non-negative integer seed but received ${String(o.seed)}`);
  if (!GAN_MODES.includes(o.ganMode)) throw new TypeError(`Unknown ganMode ${JSON.stringify(o.ganMode)}; valid modes are: ${GAN_MODES.join(', ')}`);
  return Object.freeze(o);
}

/** The reference's loss_names, in its order. */
export const PIX2PIX_LOSS_NAMES = Object.freeze(['G_GAN', 'G_L1', 'D_real', 'D_fake'] as const);
export type Pix2PixLossName = (typeof PIX2PIX_LOSS_NAMES)[number];
export type Pix2PixLosses = Readonly<Record<Pix2PixLossName, number>>;

/** pix2pix's visuals (reference visual_names: real_A, fake_B, real_B). */
export type Pix2PixVisuals = TranslationVisuals;

export interface Pix2PixIterationResult {
  readonly losses: Pix2PixLosses;
  readonly visuals?: Pix2PixVisuals;
}

/** Everything besides the weights (and BatchNorm buffers, which are in the checkpoint) needed to continue exactly. */
export interface Pix2PixModelState {
  readonly optimizerG: AdamState;
  readonly optimizerD: AdamState;
  /** Iterations done: the dropout masks' stream position. */
  readonly iterations: number;
}

export class Pix2PixModel {
  readonly architecture: Pix2PixArchitecture;
  readonly options: Pix2PixModelOptions;
  readonly G: UnetGenerator;
  readonly D: PatchDiscriminator;
  readonly optimizerG: Adam;
  readonly optimizerD: Adam;
  private iterations = 0;

  constructor(architecture: Partial<Pix2PixArchitecture> = {}, options: Partial<Pix2PixModelOptions> = {}) {
    this.architecture = resolvePix2PixArchitecture(architecture);
    this.options = resolvePix2PixOptions(options);
    const { ndf, nLayers, ...g } = this.architecture;
    const { seed, initGain } = this.options;
    this.G = new UnetGenerator(g, { seed: deriveSeed(seed, 'G'), initGain, name: 'G' });
    this.D = new PatchDiscriminator(
      { inputNc: g.inputNc + g.outputNc, ndf, nLayers },
      { seed: deriveSeed(seed, 'D'), initGain, name: 'D', norm: g.norm },
    );
    const adam = { beta1: this.options.beta1, beta2: 0.999, eps: 1e-8 };
    this.optimizerG = new Adam(this.G.variables(), adam);
    this.optimizerD = new Adam(this.D.variables(), adam);
  }

  /** The networks by their reference names (latest_net_G / latest_net_D). */
  networks(): ReadonlyMap<'G' | 'D', Network<unknown>> {
    return new Map<'G' | 'D', Network<unknown>>([['G', this.G], ['D', this.D]]);
  }

  /** The dropout masks of the next iteration (what optimizeParameters will use). */
  dropoutMasks(): SeededDropoutMasks {
    return new SeededDropoutMasks(deriveSeed(this.options.seed, `dropout/${this.iterations}`));
  }

  /**
   * One optimize_parameters step: realA [N,H,W,inputNc], realB [N,H,W,outputNc] in [-1, 1], H and W
   * multiples of 2^numDowns; `lr` is the scheduled learning rate of both optimisers. `masks`
   * replaces the seeded dropout masks (tests hand in PyTorch's).
   */
  async optimizeParameters(
    realA: tf.Tensor4D,
    realB: tf.Tensor4D,
    lr: number,
    withVisuals = false,
    masks: DropoutMasks = this.dropoutMasks(),
  ): Promise<Pix2PixIterationResult> {
    const { lambdaL1, ganMode } = this.options;
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    const logs: BatchStatsLog[] = [];
    const newLog = (): BatchStatsLog => {
      const log: BatchStatsLog = [];
      logs.push(log);
      return log;
    };
    try {
      const gLog = newLog();
      const fakeB = keep(this.G.forward(realA, { batchNorm: 'train', dropout: masks, statsLog: gLog }));
      commitBatchStats(this.G, gLog);
      const fakeAB = keep(tf.concat([realA, fakeB], 3));
      const realAB = keep(tf.concat([realA, realB], 3));

      const losses = {} as Record<Pix2PixLossName, tf.Scalar>;
      const dLog = newLog();
      const dStep = tf.variableGrads(() => {
        losses.D_fake = keep(ganLoss(this.D.forward(fakeAB, { statsLog: dLog }), false, ganMode));
        losses.D_real = keep(ganLoss(this.D.forward(realAB, { statsLog: dLog }), true, ganMode));
        return tf.mul(tf.add(losses.D_fake, losses.D_real), 0.5);
      }, [...this.optimizerD.variables]);
      dStep.value.dispose();
      this.optimizerD.applyNamed(dStep.grads, lr);
      commitBatchStats(this.D, dLog);

      const dLogG = newLog();
      const gStep = tf.variableGrads(() => {
        const fake = this.G.forward(realA, { batchNorm: 'train', dropout: masks });
        losses.G_GAN = keep(ganLoss(this.D.forward(tf.concat([realA, fake], 3), { statsLog: dLogG }), true, ganMode));
        losses.G_L1 = keep(tf.mul(l1Loss(fake, realB), lambdaL1));
        return tf.add(losses.G_GAN, losses.G_L1);
      }, [...this.optimizerG.variables]);
      gStep.value.dispose();
      this.optimizerG.applyNamed(gStep.grads, lr);
      commitBatchStats(this.D, dLogG);
      this.iterations++;

      const values = {} as Record<Pix2PixLossName, number>;
      for (const name of PIX2PIX_LOSS_NAMES) values[name] = (await losses[name].data())[0];
      const result: Pix2PixIterationResult = { losses: Object.freeze(values) };
      if (!withVisuals) return result;
      const first = async (t: tf.Tensor4D): Promise<Float32Array> => ((await t.data()) as Float32Array).slice(0, t.shape[1] * t.shape[2] * t.shape[3]);
      const [, height, width, channelsA] = realA.shape;
      return {
        ...result,
        visuals: { height, width, channelsA, channelsB: realB.shape[3], realA: await first(realA), fakeB: await first(fakeB), realB: await first(realB) },
      };
    } finally {
      for (const log of logs) disposeBatchStats(log);
      for (const t of kept) t.dispose();
    }
  }

  async state(): Promise<Pix2PixModelState> {
    return { optimizerG: await this.optimizerG.state(), optimizerD: await this.optimizerD.state(), iterations: this.iterations };
  }

  restore(state: Pix2PixModelState): void {
    if (!Number.isSafeInteger(state.iterations) || state.iterations < 0) {
      throw new RangeError(`Saved iteration count must be a non-negative integer, got ${String(state.iterations)}`);
    }
    this.optimizerG.restore(state.optimizerG);
    this.optimizerD.restore(state.optimizerD);
    this.iterations = state.iterations;
  }

  dispose(): void {
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.G.dispose();
    this.D.dispose();
  }
}
