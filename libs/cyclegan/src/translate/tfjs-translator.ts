/**
 * The tfjs engine: a loaded generator of any kind (the CycleGAN ResNet, the pix2pix U-Net, ...) on the
 * active TF.js backend. Images are reflect-padded to the generator's size multiple (4 for the ResNet,
 * 2^numDowns for the U-Net), batched by padded size, run whole when the backend can hold it and tiled
 * otherwise (tiled.ts, for kinds whose steps tile: not a U-Net, whose receptive field spans the whole
 * image), then cropped back to their own size.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Generator } from '../networks/generator.ts';
import { generatorPlan, type PlanStep } from './generator-plan.ts';
import {
  checkRgbImage, cropImage, groupByPaddedSize, paddedSizeFor, reflectPadImage, rgbToUnit, unitToRgbBytes, type RgbImage,
} from './image.ts';
import { modelHash } from './model-hash.ts';
import { tfjsTileBackend } from './tiled.ts';
import { runPlanTiled } from './tile-driver.ts';
import { fitMemoryBudget, wholeImageBudget } from './memory-budget.ts';
import { fitWebGpu, type WebGpuLimits } from './webgpu-fit.ts';
import { oncePerPlan, type ExecutionPlan, type PlanListener, type Translator, type TranslatorInfo } from './translator.ts';

export type TilingMode = 'auto' | 'off' | 'always';

export interface TfjsTranslatorOptions {
  /** Most images per generator call. Default 4. */
  readonly maxBatch?: number;
  /** 'auto' (default): whole images where they fit (see maxWholeImageBytes), tiled otherwise. */
  readonly tiling?: TilingMode;
  /** Tile side in image pixels for tiled execution. Default 512. */
  readonly tileSize?: number;
  /**
   * Most bytes one whole-image generator call may hold on the backend at its peak. Default on the
   * host backends (cpu, wasm, tensorflow): half of the memory available when the plan is made
   * (memory-budget.ts), at most 2 GiB on wasm (a 32-bit heap). Unlimited on webgpu, where each
   * activation must also fit one storage buffer binding (maxStorageBufferBindingSize: 128 MiB on
   * lavapipe, 2 GiB on an H100).
   */
  readonly maxWholeImageBytes?: number;
  /** Dispose the generator with the translator. Default false (the caller keeps owning it). */
  readonly ownsGenerator?: boolean;
  /** Told how each image size is run, once per size and plan. */
  readonly onPlan?: PlanListener;
}

/** The generators the tfjs engine runs: any kind. */
export type TranslatorGenerator = Generator;

export interface TfjsTranslatorInfo extends TranslatorInfo {
  readonly engine: 'tfjs';
  readonly ngf: number;
  /** The generator kind: 'resnet' (CycleGAN), 'unet' (pix2pix), ... */
  readonly generator: string;
  /** Residual blocks (0 for a U-Net). */
  readonly nBlocks?: number;
  /** The U-Net's downsamplings. */
  readonly numDowns?: number;
}

/** Backends whose tensors live in host memory, where the default budget is measured (memory-budget.ts). */
const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);
/** The wasm heap is 32-bit: at most 4 GiB, of which a whole-image run may take half. */
const WASM_HEAP_BUDGET: Readonly<Record<string, number>> = Object.freeze({ wasm: 2 * 1024 ** 3 });

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, received ${value}`);
  return value;
}

function webGpuLimits(): WebGpuLimits | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  return (tf.backend() as unknown as { device: { limits: WebGpuLimits } }).device.limits;
}

export class TfjsTranslator implements Translator {
  readonly info: TfjsTranslatorInfo;
  private readonly generator: TranslatorGenerator;
  /** Padded size of an image side for this generator. */
  private readonly padSize: (n: number) => number;
  /** The tiled plan, or why the generator runs on whole images only. */
  private readonly tilePlan: PlanStep[] | string;
  private readonly options: Required<Omit<TfjsTranslatorOptions, 'maxWholeImageBytes' | 'onPlan'>> & { maxWholeImageBytes?: number };
  private readonly reportPlan: PlanListener;
  private peakBytesPerPixel: number | undefined;
  private disposed = false;

  private constructor(generator: TranslatorGenerator, hash: string, options: TfjsTranslatorOptions) {
    const { inputNc, outputNc, ngf } = generator.architecture;
    if (inputNc !== 3 || outputNc !== 3) {
      throw new RangeError(`TfjsTranslator translates RGB images: the generator must have 3 input and 3 output channels, it has ${inputNc} and ${outputNc}`);
    }
    const tiling = options.tiling ?? 'auto';
    if (!['auto', 'off', 'always'].includes(tiling)) {
      throw new RangeError(`tiling must be one of auto, off, always; received ${JSON.stringify(tiling)}`);
    }
    this.tilePlan = generatorPlan(generator);
    if (typeof this.tilePlan === 'string' && tiling === 'always') {
      throw new RangeError(`tiling 'always' needs a generator that runs layer by layer, such as a ResnetGenerator; ${this.tilePlan}`);
    }
    this.generator = generator;
    const { multiple, min } = generator.inputSize;
    this.padSize = (n) => paddedSizeFor(n, multiple, min);
    this.options = {
      maxBatch: positiveInt(options.maxBatch ?? 4, 'maxBatch'),
      tiling,
      tileSize: positiveInt(options.tileSize ?? 512, 'tileSize'),
      maxWholeImageBytes: options.maxWholeImageBytes,
      ownsGenerator: options.ownsGenerator ?? false,
    };
    this.reportPlan = oncePerPlan(options.onPlan);
    this.info = Object.freeze({
      engine: 'tfjs', backend: tf.getBackend(), modelHash: hash, ngf, generator: generator.kind.name, ...generator.kind.info?.(generator.architecture),
    });
  }

  /** Wraps a loaded generator (it stays owned by the caller). Runs on the active TF.js backend. */
  static async create(generator: TranslatorGenerator, options: TfjsTranslatorOptions = {}): Promise<TfjsTranslator> {
    return new TfjsTranslator(generator, modelHash(await generator.stateDict()), options);
  }

  async translate(images: readonly RgbImage[]): Promise<RgbImage[]> {
    if (this.disposed) throw new Error('TfjsTranslator.translate: the translator has been disposed');
    images.forEach((im, i) => checkRgbImage(im, `image ${i}`));
    const results = new Array<RgbImage>(images.length);
    for (const { width: w, height: h, indices } of groupByPaddedSize(images, this.padSize)) {
      const plan = await this.plan(w, h, indices.length);
      this.reportPlan(w, h, plan);
      for (let s = 0; s < indices.length; s += plan.batch) {
        const chunk = indices.slice(s, s + plan.batch);
        const padded = chunk.map((i) => reflectPadImage(images[i], w, h));
        const outputs = plan.mode === 'whole' ? await this.runWhole(padded, w, h) : await this.runTiled(padded, w, h);
        chunk.forEach((i, k) => { results[i] = cropImage(outputs[k], images[i].width, images[i].height); });
      }
    }
    return results;
  }

  /** Whole or tiled, and the batch size, for `count` images of padded size w x h on this backend. */
  async plan(w: number, h: number, count = 1): Promise<ExecutionPlan> {
    const { tiling, maxBatch, tileSize } = this.options;
    if (tiling === 'always') return { mode: 'tiled', batch: 1, why: `tiling 'always' (${tileSize} px tiles)` };
    let batch = Math.min(maxBatch, count);
    if (typeof this.tilePlan === 'string') return { mode: 'whole', batch, why: this.tilePlan };
    const limits = webGpuLimits();
    if (limits) {
      const fit = fitWebGpu(this.generator.architecture.ngf, w, h, batch, limits);
      if (fit.mode === 'tiled') {
        if (tiling === 'off') throw new RangeError(`${fit.why}; use tiling 'auto'`);
        return fit;
      }
      batch = fit.batch;
    }
    if (tiling !== 'auto') return { mode: 'whole', batch, why: 'fits' };
    const backend = tf.getBackend();
    const budget = wholeImageBudget(this.options.maxWholeImageBytes, HOST_BACKENDS.has(backend), WASM_HEAP_BUDGET[backend]);
    if (!budget) return { mode: 'whole', batch, why: 'fits' };
    return fitMemoryBudget((await this.measurePeakBytesPerPixel()) * w * h, w, h, batch, budget);
  }

  /** Peak backend bytes of a whole-image forward per input pixel, measured once at 64x64. */
  private async measurePeakBytesPerPixel(): Promise<number> {
    if (this.peakBytesPerPixel === undefined) {
      const before = tf.memory().numBytes;
      const side = this.padSize(64);
      const x = tf.zeros([1, side, side, 3]) as tf.Tensor4D;
      const info = await tf.profile(() => this.generator.apply(x));
      tf.dispose([x, info.result as tf.Tensor]);
      this.peakBytesPerPixel = (info.peakBytes - before) / (side * side);
    }
    return this.peakBytesPerPixel;
  }

  private async runWhole(images: RgbImage[], w: number, h: number): Promise<RgbImage[]> {
    const pixels = w * h * 3;
    const input = new Float32Array(images.length * pixels);
    images.forEach((im, k) => rgbToUnit(im, input, k * pixels));
    const x = tf.tensor4d(input, [images.length, h, w, 3]);
    let y: tf.Tensor4D | undefined;
    try {
      y = this.generator.apply(x);
      const out = (await y.data()) as Float32Array;
      return images.map((_, k) => ({ width: w, height: h, data: unitToRgbBytes(out, k * pixels, pixels) }));
    } finally {
      x.dispose();
      y?.dispose();
    }
  }

  private async runTiled(images: RgbImage[], w: number, h: number): Promise<RgbImage[]> {
    const plan = this.tilePlan;
    if (typeof plan === 'string') throw new RangeError(`tiled execution: ${plan}`);
    const out: RgbImage[] = [];
    for (const im of images) {
      const data = new Float32Array(w * h * 3);
      rgbToUnit(im, data);
      const y = await runPlanTiled(plan, tfjsTileBackend, { height: h, width: w, channels: 3, data }, { tileSize: this.options.tileSize });
      out.push({ width: w, height: h, data: unitToRgbBytes(y.data, 0, y.data.length) });
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.options.ownsGenerator) this.generator.dispose();
  }
}
