// A semantic-segmentation ONNX model run through onnxruntime-node: RGB in as NCHW float32 normalised
// by mean/std, logits [N, 19, H, W] over the Cityscapes trainIds out, resized to the label size
// (bilinear, half-pixel centres: PyTorch's align_corners=False, as mmsegmentation resizes) and
// reduced to the first largest class. Frames too large to run whole go through overlapping windows
// whose logits are averaged (mmsegmentation's slide inference). A model trained at one fixed size
// (inputSize) gets every frame area-resized to that size instead.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { IMAGENET_MEAN, IMAGENET_STD, normalisedNchw, normalisedValues, openOnnxSession, type OnnxProviderName, type OnnxProviderRequest, type SkippedProvider } from '@nightshift/cyclegan';
import { DatasetError, TRAIN_LABELS, resizeRgbArea, type RgbImage } from '@nightshift/labels';

/** Classes the logits must have: the 19 trainIds. */
export const SEGMENTER_CLASSES = TRAIN_LABELS.length;
export { IMAGENET_MEAN, IMAGENET_STD };

export interface WindowSize { readonly height: number; readonly width: number }

export interface SegmenterOptions {
  /** Per-channel mean and std of the RGB values scaled to 0..1 (default ImageNet's). */
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
  /** Sliding-window inference with windows of this size; default: whole frames (or the model's fixed input size). */
  readonly crop?: WindowSize;
  /** Step between windows; default two thirds of the window, rounded up. */
  readonly stride?: WindowSize;
  /** Resize every frame to this (area averaging) before the network, the logits back to the label size; not with crop. */
  readonly inputSize?: WindowSize;
  /** 'auto' (default): the translation engine's order, cuda > webgpu (hardware adapter) > cpu. */
  readonly provider?: OnnxProviderRequest;
  /** CPU provider threads (default: ONNX Runtime's choice). */
  readonly threads?: number;
}

export interface SegmenterInfo {
  readonly file: string;
  readonly provider: OnnxProviderName;
  readonly reason: string;
  readonly skipped: readonly SkippedProvider[];
  readonly input: string;
  readonly output: string;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Window and stride when frames are run in windows. */
  readonly crop?: WindowSize;
  readonly stride?: WindowSize;
  /** The size every frame is resized to, when it is. */
  readonly inputSize?: WindowSize;
}

const dimText = (d: unknown): string => (typeof d === 'number' && d >= 0 ? String(d) : typeof d === 'string' && d ? d : '?');
const fixed = (d: unknown): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);

export class OnnxSegmenter {
  /** The network's input value of each 8-bit value, per channel (the info's mean and std). */
  private readonly normalised: Float32Array[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: SegmenterInfo,
    /** The model's fixed input height and width, where it has them. */
    private readonly fixedSize: { height?: number; width?: number },
  ) {
    this.normalised = normalisedValues(info.mean, info.std);
  }

  /**
   * Opens the model and checks what its metadata says of its input (one float32 NCHW tensor with 3
   * channels) and output (logits of rank 4 over 19 classes). A model that does not fit throws a
   * DatasetError naming the file.
   */
  static async create(model: string, options: SegmenterOptions = {}): Promise<OnnxSegmenter> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(model);
    } catch (e) {
      throw new DatasetError(model, `cannot read the ONNX model: ${(e as Error).message}`);
    }
    const mean = options.mean ?? IMAGENET_MEAN;
    const std = options.std ?? IMAGENET_STD;
    if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) {
      throw new RangeError(`mean and std need 3 values each, std positive; got mean [${mean}] std [${std}]`);
    }
    const inputSize = options.inputSize;
    if (inputSize) {
      if (options.crop || options.stride) throw new RangeError('an input size (resize every frame) and a crop (windows of the frame) exclude each other');
      if (!(Number.isInteger(inputSize.height) && Number.isInteger(inputSize.width) && inputSize.height > 0 && inputSize.width > 0)) {
        throw new RangeError(`the input size must be positive whole pixels, got ${inputSize.height}x${inputSize.width}`);
      }
    }
    let opened;
    try {
      opened = await openOnnxSession(bytes, options.provider ?? 'auto', options.threads);
    } catch (e) {
      throw new DatasetError(model, `cannot open the ONNX model: ${(e as Error).message}`);
    }
    const { session } = opened;
    const fail = (problem: string): never => {
      void session.release();
      throw new DatasetError(model, problem);
    };
    if (session.inputNames.length !== 1) fail(`has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); a segmenter takes one image tensor`);
    if (session.outputNames.length < 1) fail('has no output');
    const input = session.inputMetadata[0];
    const output = session.outputMetadata[0];
    const fixedSize: { height?: number; width?: number } = {};
    if (input?.isTensor) {
      if (input.type !== 'float32') fail(`input '${input.name}' is ${input.type}; a float32 NCHW image tensor was expected`);
      if (input.shape.length > 0) {
        if (input.shape.length !== 4 || (fixed(input.shape[1]) !== undefined && input.shape[1] !== 3)) {
          fail(`input '${input.name}' has shape [${input.shape.map(dimText).join(', ')}]; [N, 3, H, W] (RGB) was expected`);
        }
        const h = fixed(input.shape[2]);
        const w = fixed(input.shape[3]);
        if (h !== undefined) fixedSize.height = h;
        if (w !== undefined) fixedSize.width = w;
      }
    }
    const outputProblem = output?.isTensor && output.shape.length > 0 ? logitShapeProblem(output.shape, output.name) : undefined;
    if (outputProblem) fail(outputProblem);
    if (inputSize && ((fixedSize.height && fixedSize.height !== inputSize.height) || (fixedSize.width && fixedSize.width !== inputSize.width))) {
      fail(`takes a fixed input of ${fixedSize.height ?? 'H'}x${fixedSize.width ?? 'W'}; the input size ${inputSize.height}x${inputSize.width} does not fit it`);
    }
    const crop = inputSize ? undefined : options.crop ?? (fixedSize.height || fixedSize.width ? { height: fixedSize.height ?? 0, width: fixedSize.width ?? 0 } : undefined);
    if (options.crop && ((fixedSize.height && options.crop.height !== fixedSize.height) || (fixedSize.width && options.crop.width !== fixedSize.width))) {
      fail(`takes a fixed input of ${fixedSize.height ?? 'H'}x${fixedSize.width ?? 'W'}; --crop ${options.crop.height}x${options.crop.width} does not fit it`);
    }
    const stride = crop ? options.stride ?? { height: Math.ceil((crop.height * 2) / 3), width: Math.ceil((crop.width * 2) / 3) } : undefined;
    const info: SegmenterInfo = Object.freeze({
      file: model, provider: opened.provider, reason: opened.reason, skipped: opened.skipped,
      input: session.inputNames[0], output: session.outputNames[0], mean: [...mean], std: [...std],
      ...(crop ? { crop, stride } : {}),
      ...(inputSize ? { inputSize: { height: inputSize.height, width: inputSize.width } } : {}),
    });
    return new OnnxSegmenter(session, info, fixedSize);
  }

  /** trainIds (0..18) at the label size, row-major. `imageFile` is named in errors. */
  async predict(image: RgbImage, label: { width: number; height: number }, imageFile: string): Promise<Uint8Array> {
    const { width, height } = image;
    const crop = this.info.crop;
    const size = this.info.inputSize;
    if (size) {
      const small = resizeRgbArea(image, size.width, size.height);
      const logits = await this.run(normalisedNchw(small, this.normalised), size.width, size.height, imageFile);
      return argmaxResized(logits.data, logits.height, logits.width, label.height, label.width);
    }
    // Whole-frame logits, or windows averaged over the frame (then resized as one).
    if (!crop) {
      const logits = await this.run(normalisedNchw(image, this.normalised), width, height, imageFile);
      return argmaxResized(logits.data, logits.height, logits.width, label.height, label.width);
    }
    const ch = crop.height || height;
    const cw = crop.width || width;
    const stride = this.info.stride!;
    const sh = stride.height || ch;
    const sw = stride.width || cw;
    const plane = width * height;
    const sum = new Float32Array(SEGMENTER_CLASSES * plane);
    const count = new Uint16Array(plane);
    for (const [y0, wh] of windows(height, ch, sh)) {
      for (const [x0, ww] of windows(width, cw, sw)) {
        // A fixed-size model gets the window padded with zeros (the mean colour) where the frame is smaller.
        const inH = this.fixedSize.height ?? wh;
        const inW = this.fixedSize.width ?? ww;
        const logits = await this.run(normalisedNchw(image, this.normalised, { x: x0, y: y0, width: ww, height: wh }, { width: inW, height: inH }), inW, inH, imageFile);
        const win = logits.height === inH && logits.width === inW ? logits.data : resizeBilinear(logits.data, SEGMENTER_CLASSES, logits.height, logits.width, inH, inW);
        for (let c = 0; c < SEGMENTER_CLASSES; c++) {
          for (let y = 0; y < wh; y++) {
            const src = c * inH * inW + y * inW;
            const dst = c * plane + (y0 + y) * width + x0;
            for (let x = 0; x < ww; x++) sum[dst + x] += win[src + x];
          }
        }
        for (let y = 0; y < wh; y++) for (let x = 0; x < ww; x++) count[(y0 + y) * width + x0 + x]++;
      }
    }
    for (let c = 0; c < SEGMENTER_CLASSES; c++) {
      for (let i = 0; i < plane; i++) sum[c * plane + i] /= count[i];
    }
    return argmaxResized(sum, height, width, label.height, label.width);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private async run(input: Float32Array, width: number, height: number, imageFile: string): Promise<{ data: Float32Array; height: number; width: number }> {
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await this.session.run({ [this.info.input]: new ort.Tensor('float32', input, [1, 3, height, width]) });
    } catch (e) {
      throw new DatasetError(this.info.file, `failed on ${imageFile} (input 1x3x${height}x${width}): ${(e as Error).message.split('\n')[0]}`);
    }
    const out = result[this.info.output] as ort.Tensor;
    const problem = logitShapeProblem(out.dims, this.info.output) ??
      (out.dims[0] !== 1 ? `output '${this.info.output}' has batch ${out.dims[0]} for an input batch of 1` : undefined) ??
      (out.type !== 'float32' ? `output '${this.info.output}' is ${out.type}; float32 logits were expected` : undefined);
    if (problem) throw new DatasetError(this.info.file, `${problem} (on ${imageFile})`);
    return { data: out.data as Float32Array, height: out.dims[2], width: out.dims[3] };
  }
}

function logitShapeProblem(shape: readonly unknown[], name: string): string | undefined {
  const text = `[${shape.map(dimText).join(', ')}]`;
  if (shape.length !== 4) return `output '${name}' has shape ${text}; logits [N, ${SEGMENTER_CLASSES}, H, W] over the Cityscapes trainIds were expected`;
  if (fixed(shape[1]) !== undefined && shape[1] !== SEGMENTER_CLASSES) {
    return `output '${name}' has ${String(shape[1])} classes (shape ${text}); ${SEGMENTER_CLASSES} were expected, one per Cityscapes trainId`;
  }
  return undefined;
}

/** Window starts and lengths along one axis (mmsegmentation slide_inference: last window flush with the end). */
export function windows(length: number, crop: number, stride: number): [start: number, size: number][] {
  const size = Math.min(crop, length);
  const n = Math.max(length - size + stride - 1, 0) / stride;
  const out: [number, number][] = [];
  for (let i = 0; i <= Math.floor(n); i++) {
    const end = Math.min(i * stride + size, length);
    out.push([Math.max(end - size, 0), size]);
  }
  return out;
}

/** Source index pairs and weights of a half-pixel-centre bilinear resize along one axis (PyTorch align_corners=False). */
function axisWeights(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; w1: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    w1[o] = src - lo;
  }
  return { i0, i1, w1 };
}

/** Bilinear resize of C planes of inH x inW to outH x outW. */
export function resizeBilinear(data: Float32Array, channels: number, inH: number, inW: number, outH: number, outW: number): Float32Array {
  const ys = axisWeights(inH, outH);
  const xs = axisWeights(inW, outW);
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++) {
    const base = c * inH * inW;
    for (let y = 0; y < outH; y++) {
      const r0 = base + ys.i0[y] * inW;
      const r1 = base + ys.i1[y] * inW;
      const wy = ys.w1[y];
      for (let x = 0; x < outW; x++) {
        const a = xs.i0[x];
        const b = xs.i1[x];
        const wx = xs.w1[x];
        const top = data[r0 + a] * (1 - wx) + data[r0 + b] * wx;
        const bottom = data[r1 + a] * (1 - wx) + data[r1 + b] * wx;
        out[(c * outH + y) * outW + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/** The first largest of the 19 logits per pixel, after resizing the logits to outH x outW. */
export function argmaxResized(logits: Float32Array, inH: number, inW: number, outH: number, outW: number): Uint8Array {
  const planes = inH === outH && inW === outW ? logits : resizeBilinear(logits, SEGMENTER_CLASSES, inH, inW, outH, outW);
  const plane = outH * outW;
  const out = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    let best = planes[i];
    let k = 0;
    for (let c = 1; c < SEGMENTER_CLASSES; c++) {
      const v = planes[c * plane + i];
      if (v > best) { best = v; k = c; }
    }
    out[i] = k;
  }
  return out;
}
