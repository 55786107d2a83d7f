/**
 * The tfjs engine: a loaded ResnetGenerator on the active TF.js backend. Images are reflect-padded to
 * a multiple of 4 (the generator's requirement), batched by padded size, run whole when the backend
 * can hold it and tiled otherwise (tiled.ts), then cropped back to their own size.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ResnetGenerator } from '../networks/resnet-generator.ts';
import {
  checkRgbImage, cropImage, paddedSize, reflectPadImage, rgbToUnit, unitToRgbBytes, type RgbImage,
} from './image.ts';
import { modelHash } from './model-hash.ts';
import { applyTiled } from './tiled.ts';
import type { Translator, TranslatorInfo } from './translator.ts';

export type TilingMode = 'auto' | 'never' | 'always';

export interface TfjsTranslatorOptions {
  /** Most images per generator call. Default 4. */
  readonly maxBatch?: number;
  /** 'auto' (default): whole images where they fit (see maxWholeImageBytes), tiled otherwise. */
  readonly tiling?: TilingMode;
  /** Tile side in image pixels for tiled execution. Default 512. */
  readonly tileSize?: number;
  /**
   * Most bytes one whole-image generator call may hold on the backend at its peak. Default: 2 GiB on
   * wasm (a 32-bit heap), unlimited elsewhere. On webgpu each activation must also fit one storage
   * buffer binding (maxStorageBufferBindingSize: 128 MiB on lavapipe, 2 GiB on an H100).
   */
  readonly maxWholeImageBytes?: number;
  /** Dispose the generator with the translator. Default false (the caller keeps owning it). */
  readonly ownsGenerator?: boolean;
}

export interface TfjsTranslatorInfo extends TranslatorInfo {
  readonly engine: 'tfjs';
  readonly ngf: number;
  readonly nBlocks: number;
}

/** How one group of same-size images is run. */
export interface ExecutionPlan {
  readonly mode: 'whole' | 'tiled';
  /** Images per generator call (1 when tiled). */
  readonly batch: number;
  readonly why: string;
}

const DEFAULT_BUDGET: Readonly<Record<string, number>> = Object.freeze({ wasm: 2 * 1024 ** 3 });

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, received ${value}`);
  return value;
}

interface WebGpuLimits { maxStorageBufferBindingSize: number; maxBufferSize: number }

function webGpuLimits(): WebGpuLimits | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  return (tf.backend() as unknown as { device: { limits: WebGpuLimits } }).device.limits;
}

export class TfjsTranslator implements Translator {
  readonly info: TfjsTranslatorInfo;
  private readonly generator: ResnetGenerator;
  private readonly options: Required<Omit<TfjsTranslatorOptions, 'maxWholeImageBytes'>> & { maxWholeImageBytes?: number };
  private peakBytesPerPixel: number | undefined;
  private disposed = false;

  private constructor(generator: ResnetGenerator, hash: string, options: TfjsTranslatorOptions) {
    const { inputNc, outputNc, ngf, nBlocks } = generator.architecture;
    if (inputNc !== 3 || outputNc !== 3) {
      throw new RangeError(`TfjsTranslator translates RGB images: the generator must have 3 input and 3 output channels, it has ${inputNc} and ${outputNc}`);
    }
    const tiling = options.tiling ?? 'auto';
    if (!['auto', 'never', 'always'].includes(tiling)) {
      throw new RangeError(`tiling must be one of auto, never, always; received ${JSON.stringify(tiling)}`);
    }
    this.generator = generator;
    this.options = {
      maxBatch: positiveInt(options.maxBatch ?? 4, 'maxBatch'),
      tiling,
      tileSize: positiveInt(options.tileSize ?? 512, 'tileSize'),
      maxWholeImageBytes: options.maxWholeImageBytes,
      ownsGenerator: options.ownsGenerator ?? false,
    };
    this.info = Object.freeze({ engine: 'tfjs', backend: tf.getBackend(), modelHash: hash, ngf, nBlocks });
  }

  /** Wraps a loaded generator (it stays owned by the caller). Runs on the active TF.js backend. */
  static async create(generator: ResnetGenerator, options: TfjsTranslatorOptions = {}): Promise<TfjsTranslator> {
    return new TfjsTranslator(generator, modelHash(await generator.stateDict()), options);
  }

  async translate(images: readonly RgbImage[]): Promise<RgbImage[]> {
    if (this.disposed) throw new Error('TfjsTranslator.translate: the translator has been disposed');
    images.forEach((im, i) => checkRgbImage(im, `image ${i}`));
    const groups = new Map<string, number[]>();
    images.forEach((im, i) => {
      const key = `${paddedSize(im.width)}x${paddedSize(im.height)}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const results = new Array<RgbImage>(images.length);
    for (const indices of groups.values()) {
      const w = paddedSize(images[indices[0]].width);
      const h = paddedSize(images[indices[0]].height);
      const plan = await this.plan(w, h, indices.length);
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
    const limits = webGpuLimits();
    if (limits) {
      // The largest activations: the stem's reflect-padded input and the 'valid' transposed conv.
      const ngf = this.generator.architecture.ngf;
      const perImage = 4 * ngf * Math.max((h + 6) * (w + 6), (h + 1) * (w + 1));
      const bindable = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
      if (perImage > bindable) {
        if (tiling === 'never') throw new RangeError(`A ${w}x${h} activation needs ${perImage} bytes, more than one WebGPU buffer binding holds (${bindable}); use tiling 'auto'`);
        return { mode: 'tiled', batch: 1, why: `a ${w}x${h} activation (${perImage} bytes) exceeds the WebGPU buffer binding limit (${bindable})` };
      }
      batch = Math.max(1, Math.min(batch, Math.floor(bindable / perImage)));
    }
    const budget = this.options.maxWholeImageBytes ?? DEFAULT_BUDGET[tf.getBackend()];
    if (budget !== undefined && tiling === 'auto') {
      const perImage = (await this.measurePeakBytesPerPixel()) * w * h;
      if (perImage > budget) return { mode: 'tiled', batch: 1, why: `a whole ${w}x${h} image needs about ${Math.round(perImage / 2 ** 20)} MiB, over the ${Math.round(budget / 2 ** 20)} MiB budget` };
      batch = Math.max(1, Math.min(batch, Math.floor(budget / perImage)));
    }
    return { mode: 'whole', batch, why: 'fits' };
  }

  /** Peak backend bytes of a whole-image forward per input pixel, measured once at 64x64. */
  private async measurePeakBytesPerPixel(): Promise<number> {
    if (this.peakBytesPerPixel === undefined) {
      const before = tf.memory().numBytes;
      const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
      const info = await tf.profile(() => this.generator.apply(x));
      tf.dispose([x, info.result as tf.Tensor]);
      this.peakBytesPerPixel = (info.peakBytes - before) / (64 * 64);
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
    const out: RgbImage[] = [];
    for (const im of images) {
      const data = new Float32Array(w * h * 3);
      rgbToUnit(im, data);
      const y = await applyTiled(this.generator, { height: h, width: w, channels: 3, data }, { tileSize: this.options.tileSize });
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
