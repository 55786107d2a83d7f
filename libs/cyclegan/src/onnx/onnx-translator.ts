/**
 * The ONNX Runtime engine: an ONNX ResnetGenerator (our export or a torch.onnx.export of the
 * reference) in an onnxruntime-node session on the chosen execution provider. Same pixel conversion
 * and pad-to-multiple-of-4 / crop-back as TfjsTranslator; same-size images are batched.
 *
 * Whole images: tensors between layers never leave the provider, the whole generator is one session
 * run, so per batch there is exactly one upload (the input) and one download (the output).
 * Tiled images (tiling 'always', or 'auto' where a whole image would not fit): the same layer-by-layer
 * algorithm as the tfjs engine (translate/tile-driver.ts: exact halos, whole-image instance-norm
 * statistics, no seams), each convolution a small session of its own (tile-sessions.ts). Tiling needs
 * the weights under the reference's state_dict names (our export; a plain torch.onnx.export).
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import {
  checkRgbImage, cropImage, groupByPaddedSize, paddedSizeFor, reflectPadImage, rgbToUnit, unitToRgbBytes, type RgbImage,
} from '../translate/image.ts';
import { generatorPlanGeometry } from '../translate/generator-plan.ts';
import type { TilingMode } from '../translate/tfjs-translator.ts';
import { runPlanTiled } from '../translate/tile-driver.ts';
import { fitMemoryBudget, wholeImageBudget } from '../translate/memory-budget.ts';
import { fitWebGpu } from '../translate/webgpu-fit.ts';
import { oncePerPlan, type ExecutionPlan, type PlanListener, type Translator, type TranslatorInfo } from '../translate/translator.ts';
import { float32ToHalf, halfToFloat32 } from './float16.ts';
import { inspectGeneratorOnnx, type OnnxGeneratorModel } from './model-inspect.ts';
import {
  onnxSessionOptions, openOnnxSession, parseOnnxProvider, systemWebGpuAdapter,
  type OnnxProviderName, type OnnxProviderRequest, type SkippedProvider,
} from './providers.ts';
import { OnnxTileBackend } from './tile-sessions.ts';

export interface OnnxTranslatorOptions {
  /** 'auto' (default): cuda, then webgpu on a hardware adapter, then cpu. Or one provider by name. */
  readonly provider?: OnnxProviderRequest;
  /** Most images per session run. Default 4. */
  readonly maxBatch?: number;
  /** CPU provider threads (ONNX Runtime's intra-op pool). Default: ONNX Runtime's choice (all cores). */
  readonly threads?: number;
  /**
   * 'auto' (default): whole images where they fit (see maxWholeImageBytes), tiled otherwise;
   * 'always' needs the weights under the reference's state_dict names (`model.stateDict`).
   */
  readonly tiling?: TilingMode;
  /** Tile side in image pixels for tiled execution. Default 512. */
  readonly tileSize?: number;
  /**
   * Most bytes one whole-image session run may hold, estimated at WHOLE_BYTES_PER_PIXEL_PER_NGF x
   * ngf per pixel. Default on cpu: half of the host memory available when the plan is made
   * (translate/memory-budget.ts); unlimited on cuda; on webgpu each activation must also fit one
   * storage buffer binding of the adapter (as in the tfjs engine).
   */
  readonly maxWholeImageBytes?: number;
  /** Told how each image size is run, once per size and plan. */
  readonly onPlan?: PlanListener;
}

export interface OnnxTranslatorInfo extends TranslatorInfo {
  readonly engine: 'onnx';
  readonly backend: OnnxProviderName;
  /** Why this provider, in one sentence. */
  readonly reason: string;
  readonly skipped: readonly SkippedProvider[];
  /** Where the hash comes from: our export's metadata, the weights (state_dict names), or the file bytes. */
  readonly hashSource: OnnxGeneratorModel['hashSource'];
  /** Producer name and version of the ONNX file, e.g. 'nightshift 0.1.0' or 'pytorch 1.13.1'. */
  readonly producer: string;
  /** I/O element type of the model. */
  readonly ioType: 'float32' | 'float16';
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, received ${value}`);
  return value;
}

const OPTION_KEYS = ['provider', 'maxBatch', 'threads', 'tiling', 'tileSize', 'maxWholeImageBytes', 'onPlan'];

/**
 * Peak resident bytes of a whole-image CPU session run per input pixel and per ngf: 3.37 GiB for
 * 2048x1024 at ngf 64 (bench/onnx.ts --only onnx, docs/onnx.md), less the process's ~0.3 GiB.
 */
export const WHOLE_BYTES_PER_PIXEL_PER_NGF = 25;

export class OnnxTranslator implements Translator {
  readonly info: OnnxTranslatorInfo;
  /** The model's layout, producer, metadata and (when recoverable) its weights as a state_dict. */
  readonly model: OnnxGeneratorModel;
  private readonly session: ort.InferenceSession;
  private readonly maxBatch: number;
  private readonly tiling: TilingMode;
  private readonly tileSize: number;
  private readonly maxWholeImageBytes: number | undefined;
  /** Per-step sessions for tiled execution; undefined when the weights do not map onto the reference. */
  private readonly tiles: OnnxTileBackend | undefined;
  private readonly reportPlan: PlanListener;
  /** Padded size of an image side: the generator kind's multiple (4, at least 8, when the kind is unknown). */
  private readonly padSize: (n: number) => number;
  private disposed = false;

  private constructor(
    session: ort.InferenceSession, model: OnnxGeneratorModel, info: OnnxTranslatorInfo, maxBatch: number,
    tiling: { mode: TilingMode; tileSize: number; maxWholeImageBytes: number | undefined; backend: OnnxTileBackend | undefined; onPlan: PlanListener | undefined },
  ) {
    this.session = session;
    this.model = model;
    this.info = info;
    this.maxBatch = maxBatch;
    this.tiling = tiling.mode;
    this.tileSize = tiling.tileSize;
    this.maxWholeImageBytes = tiling.maxWholeImageBytes;
    this.tiles = tiling.backend;
    this.reportPlan = oncePerPlan(tiling.onPlan);
    const { multiple, min } = model.kind && model.architecture ? model.kind.inputSize(model.architecture) : { multiple: 4, min: 8 };
    this.padSize = (n) => paddedSizeFor(n, multiple, min);
  }

  /**
   * Loads an ONNX generator (a file path or its bytes), checks its layout, and opens a session on the
   * requested provider. A named provider that does not work throws an Error that says why; 'auto'
   * takes the first that works and says in `info.reason` why it and not the others.
   */
  static async create(model: string | Uint8Array, options: OnnxTranslatorOptions = {}): Promise<OnnxTranslator> {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) throw new TypeError(`Unknown OnnxTranslator option ${JSON.stringify(key)}; valid options are: ${OPTION_KEYS.join(', ')}`);
    }
    const request = parseOnnxProvider(options.provider ?? 'auto');
    const maxBatch = positiveInt(options.maxBatch ?? 4, 'maxBatch');
    if (options.threads !== undefined) positiveInt(options.threads, 'threads');
    const tiling = options.tiling ?? 'auto';
    if (!['auto', 'off', 'always'].includes(tiling)) {
      throw new RangeError(`tiling must be one of auto, off, always; received ${JSON.stringify(tiling)}`);
    }
    const tileSize = positiveInt(options.tileSize ?? 512, 'tileSize');
    if (options.maxWholeImageBytes !== undefined) positiveInt(options.maxWholeImageBytes, 'maxWholeImageBytes');
    const file = typeof model === 'string' ? model : '<ONNX model bytes>';
    let bytes: Uint8Array;
    try {
      bytes = typeof model === 'string' ? await readFile(model) : model;
    } catch (e) {
      throw new Error(`${file}: cannot read the ONNX model (${(e as Error).message})`);
    }
    const inspected = inspectGeneratorOnnx(bytes, file);
    if (tiling === 'always' && !inspected.stateDict) {
      throw new RangeError(`${file}: tiling 'always' runs the generator layer by layer from its weights, and this model's weights do not map onto ` +
        'the reference ResnetGenerator (initialisers named model.1.weight, ...; a plain torch.onnx.export keeps those names, ' +
        'constant folding or renaming loses them). Translate whole images (tiling \'off\' or \'auto\'), or re-export with the reference names.');
    }

    const chosen = await openOnnxSession(bytes, request, options.threads);
    const info: OnnxTranslatorInfo = Object.freeze({
      engine: 'onnx', backend: chosen.provider, modelHash: inspected.modelHash, reason: chosen.reason,
      skipped: chosen.skipped, hashSource: inspected.hashSource, producer: inspected.producer, ioType: inspected.input.type,
    });
    const { kind, architecture, stateDict } = inspected;
    const tileBackend = kind && architecture && stateDict && typeof generatorPlanGeometry(kind, architecture) !== 'string'
      ? new OnnxTileBackend(architecture, stateDict, onnxSessionOptions(chosen.provider, options.threads), kind)
      : undefined;
    return new OnnxTranslator(chosen.session, inspected, info, maxBatch, {
      mode: tiling, tileSize, maxWholeImageBytes: options.maxWholeImageBytes, backend: tileBackend, onPlan: options.onPlan,
    });
  }

  /** Whole or tiled, and the batch size, for `count` images of padded size w x h on this provider. */
  async plan(w: number, h: number, count = 1): Promise<ExecutionPlan> {
    let batch = Math.min(this.maxBatch, count);
    if (this.tiling === 'always') return { mode: 'tiled', batch: 1, why: `tiling 'always' (${this.tileSize} px tiles)` };
    if (this.tiling === 'off') return { mode: 'whole', batch, why: 'tiling \'off\'' };
    if (!this.tiles) return { mode: 'whole', batch, why: 'the model\'s weights do not map onto the reference generator, so it runs whole' };
    const ngf = this.model.architecture!.ngf;
    if (this.info.backend === 'webgpu') {
      const adapter = await systemWebGpuAdapter();
      if (typeof adapter !== 'string') {
        const fit = fitWebGpu(ngf, w, h, batch, adapter);
        if (fit.mode === 'tiled') return fit;
        batch = fit.batch;
      }
    }
    const budget = wholeImageBudget(this.maxWholeImageBytes, this.info.backend === 'cpu');
    if (!budget) return { mode: 'whole', batch, why: 'fits' };
    return fitMemoryBudget(WHOLE_BYTES_PER_PIXEL_PER_NGF * ngf * w * h, w, h, batch, budget);
  }

  async translate(images: readonly RgbImage[]): Promise<RgbImage[]> {
    if (this.disposed) throw new Error('OnnxTranslator.translate: the translator has been disposed');
    images.forEach((im, i) => checkRgbImage(im, `image ${i}`));
    const results = new Array<RgbImage>(images.length);
    const [fixedBatch, , fixedH, fixedW] = this.model.input.shape;
    for (const { width: w, height: h, indices } of groupByPaddedSize(images, this.padSize)) {
      const plan = await this.plan(w, h, indices.length);
      this.reportPlan(w, h, plan);
      if (plan.mode === 'tiled') {
        for (const i of indices) results[i] = cropImage(await this.runTiled(reflectPadImage(images[i], w, h)), images[i].width, images[i].height);
        continue;
      }
      const batch = typeof fixedBatch === 'number' ? Math.min(fixedBatch, plan.batch) : plan.batch;
      if ((typeof fixedH === 'number' && fixedH !== h) || (typeof fixedW === 'number' && fixedW !== w)) {
        throw new RangeError(`The ONNX model takes only ${fixedW}x${fixedH} images (fixed input shape [${this.model.input.shape.join(', ')}]); ` +
          `this ${images[indices[0]].width}x${images[indices[0]].height} image needs ${w}x${h}. Re-export it with dynamic height and width (torch.onnx.export dynamic_axes).`);
      }
      for (let s = 0; s < indices.length; s += batch) {
        // A fixed batch dim must be filled: repeat the last image (its results are discarded).
        const chunk = indices.slice(s, s + batch);
        const runSize = typeof fixedBatch === 'number' ? fixedBatch : chunk.length;
        const padded = Array.from({ length: runSize }, (_, k) => reflectPadImage(images[chunk[Math.min(k, chunk.length - 1)]], w, h));
        const outputs = await this.run(padded, w, h);
        chunk.forEach((i, k) => { results[i] = cropImage(outputs[k], images[i].width, images[i].height); });
      }
    }
    return results;
  }

  /** One session run over same-size images (already padded): HWC bytes -> NCHW [-1, 1] -> HWC bytes. */
  private async run(images: RgbImage[], w: number, h: number): Promise<RgbImage[]> {
    const plane = w * h;
    const input = new Float32Array(images.length * 3 * plane);
    const hwc = new Float32Array(3 * plane);
    images.forEach((im, k) => {
      rgbToUnit(im, hwc);
      const base = k * 3 * plane;
      for (let p = 0, i = 0; p < plane; p++, i += 3) {
        input[base + p] = hwc[i];
        input[base + plane + p] = hwc[i + 1];
        input[base + 2 * plane + p] = hwc[i + 2];
      }
    });
    const dims = [images.length, 3, h, w];
    const feed = this.model.input.type === 'float16'
      ? new ort.Tensor('float16', float32ToHalf(input), dims)
      : new ort.Tensor('float32', input, dims);
    const result = await this.session.run({ [this.model.input.name]: feed });
    const y = result[this.model.output.name];
    try {
      if (y.dims.join(',') !== dims.join(',')) {
        throw new Error(`The ONNX model returned shape [${y.dims.join(', ')}] for input [${dims.join(', ')}]; a generator must keep the image size`);
      }
      const data = y.type === 'float16' ? halfToFloat32(y.data as Uint16Array) : y.data as Float32Array;
      return images.map((_, k) => {
        const base = k * 3 * plane;
        for (let p = 0, i = 0; p < plane; p++, i += 3) {
          hwc[i] = data[base + p];
          hwc[i + 1] = data[base + plane + p];
          hwc[i + 2] = data[base + 2 * plane + p];
        }
        return { width: w, height: h, data: unitToRgbBytes(hwc, 0, 3 * plane) };
      });
    } finally {
      y.dispose();
    }
  }

  /** One padded image through the per-step sessions, tile by tile (tile-driver.ts). */
  private async runTiled(image: RgbImage): Promise<RgbImage> {
    const { width, height } = image;
    const data = new Float32Array(width * height * 3);
    rgbToUnit(image, data);
    const y = await runPlanTiled(this.tiles!.plan, this.tiles!, { height, width, channels: 3, data }, { tileSize: this.tileSize });
    return { width, height, data: unitToRgbBytes(y.data, 0, y.data.length) };
  }

  /** The generator output for NCHW float32 input in [-1, 1], unconverted (for tests and probes). */
  async forward(input: Float32Array, dims: readonly [number, number, number, number]): Promise<Float32Array> {
    if (this.disposed) throw new Error('OnnxTranslator.forward: the translator has been disposed');
    const feed = this.model.input.type === 'float16'
      ? new ort.Tensor('float16', float32ToHalf(input), [...dims])
      : new ort.Tensor('float32', input, [...dims]);
    const result = await this.session.run({ [this.model.input.name]: feed });
    const y = result[this.model.output.name];
    const data = y.type === 'float16' ? halfToFloat32(y.data as Uint16Array) : Float32Array.from(y.data as Float32Array);
    y.dispose();
    return data;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.session.release();
    void this.tiles?.release();
  }
}
