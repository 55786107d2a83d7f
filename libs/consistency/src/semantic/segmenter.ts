// The night-capable segmenter the semantic cue reads: an ONNX model (logits over the 19 Cityscapes
// trainIds) with its card beside it (segmenter.json: the model file, input size, normalisation, class list), run through
// ONNX Runtime on the cpu provider. Frames are area-averaged down to the model's input size and the
// logits turned into per-class probabilities (softmax) on that grid: the cue works on the grid, not at
// full resolution, which keeps a 2048x1024 check well under a second on one core.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openOnnxSession } from '@nightshift/cyclegan';
import { DatasetError, TRAIN_LABELS } from '@nightshift/labels';
import type { RgbImage } from '../image.ts';

/** Softmax probabilities per class on the model's grid, class-major planes (data[c * width * height + i]). */
export interface ClassProbabilities {
  width: number;
  height: number;
  classes: number;
  data: Float32Array;
}

/** What the card beside the model (segmenter.json) says. */
export interface SegmenterDescription {
  /** Input size every frame is area-averaged to. */
  width: number;
  height: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Class names in logit order: the Cityscapes trainIds 0..18. */
  classes: readonly string[];
}

export interface SemanticSegmenterOptions {
  /** CPU provider threads (default 1: the check's cost is stated per core). */
  threads?: number;
}

const EXPECTED_CLASSES = TRAIN_LABELS.map((l) => l.name);
const CARD_FILE = 'segmenter.json';

/** The card and model files for a path that names the model's folder or its card. */
export function segmenterFiles(path: string): { card: string } {
  return { card: path.endsWith('.json') ? path : join(path, CARD_FILE) };
}

function readCard(file: string): SegmenterDescription & { model: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DatasetError(file, `cannot read the segmenter card (model, input size, normalisation, classes): ${(e as Error).message}`);
  }
  const fail = (problem: string): never => { throw new DatasetError(file, problem); };
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof o.model !== 'string' || !o.model) fail('"model" must name the ONNX file beside the card');
  const input = (o.input ?? {}) as Record<string, unknown>;
  const { width, height } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 8 || (height as number) < 8) {
    fail(`"input" must be {"width": W, "height": H} with integers of at least 8, got ${JSON.stringify(o.input)}`);
  }
  const triple = (v: unknown, name: string, positive: boolean): [number, number, number] => {
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (positive && !(x > 0)))) {
      fail(`"${name}" must be 3 ${positive ? 'positive ' : ''}numbers (RGB, on 0..1 values), got ${JSON.stringify(v)}`);
    }
    return v as [number, number, number];
  };
  const classes = o.classes;
  if (!Array.isArray(classes) || classes.length !== EXPECTED_CLASSES.length || classes.some((c, k) => c !== EXPECTED_CLASSES[k])) {
    fail(`"classes" must be the ${EXPECTED_CLASSES.length} Cityscapes trainId names in order (${EXPECTED_CLASSES.join(', ')}), got ${Array.isArray(classes) ? `${classes.length}: ${classes.join(', ')}` : JSON.stringify(classes)}`);
  }
  return {
    model: join(dirname(file), o.model as string), width: width as number, height: height as number,
    mean: triple(o.mean, 'mean', false), std: triple(o.std, 'std', true), classes: classes as string[],
  };
}

export class SemanticSegmenter {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly file: string,
    readonly description: SegmenterDescription,
    private readonly inputName: string,
    private readonly outputName: string,
    private readonly outputSize: { width: number; height: number },
  ) {}

  /**
   * Opens and checks the model: readable, one float32 image input, and logits [1, 19, h, w] on a probe
   * of the described input size. Anything else throws a DatasetError naming the file, before any frame
   * is looked at.
   */
  static async open(path: string, options: SemanticSegmenterOptions = {}): Promise<SemanticSegmenter> {
    const { model, ...description } = readCard(segmenterFiles(path).card);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(model);
    } catch (e) {
      throw new DatasetError(model, `cannot read the segmenter model: ${(e as Error).message}`);
    }
    let session: ort.InferenceSession;
    try {
      session = (await openOnnxSession(bytes, 'cpu', options.threads ?? 1)).session;
    } catch (e) {
      throw new DatasetError(model, `cannot open the segmenter model: ${(e as Error).message.split('\n')[0]}`);
    }
    const fail = (problem: string): never => {
      void session.release();
      throw new DatasetError(model, problem);
    };
    if (session.inputNames.length !== 1) fail(`has ${session.inputNames.length} inputs; a segmenter takes one image tensor [1, 3, H, W]`);
    const { width, height } = description;
    const inputName = session.inputNames[0], outputName = session.outputNames[0];
    let dims: readonly number[] = [];
    try {
      const probe = await session.run({ [inputName]: new ort.Tensor('float32', new Float32Array(3 * width * height), [1, 3, height, width]) });
      const out = probe[outputName] as ort.Tensor;
      dims = out.dims;
      if (out.type !== 'float32') fail(`output '${outputName}' is ${out.type}; float32 logits were expected`);
    } catch (e) {
      if (e instanceof DatasetError) throw e;
      fail(`does not run on a 1x3x${height}x${width} input (the size its description gives): ${(e as Error).message.split('\n')[0]}`);
    }
    const classes = description.classes.length;
    if (dims.length !== 4 || dims[0] !== 1 || dims[1] !== classes || dims[2] < 1 || dims[3] < 1) {
      fail(`output '${outputName}' has shape [${dims.join(', ')}] for a 1x3x${height}x${width} input; logits [1, ${classes}, h, w] (one per Cityscapes trainId) were expected`);
    }
    return new SemanticSegmenter(session, model, description, inputName, outputName, { width: dims[3], height: dims[2] });
  }

  /** Class probabilities of an image on the model's output grid. `what` names the image in errors. */
  async probabilities(image: RgbImage, what = 'image'): Promise<ClassProbabilities> {
    const { width, height, mean, std } = this.description;
    const input = normalisedInput(image, width, height, mean, std);
    let out: ort.Tensor;
    try {
      out = (await this.session.run({ [this.inputName]: new ort.Tensor('float32', input, [1, 3, height, width]) }))[this.outputName] as ort.Tensor;
    } catch (e) {
      throw new DatasetError(this.file, `failed on ${what}: ${(e as Error).message.split('\n')[0]}`);
    }
    const logits = out.data as Float32Array;
    const classes = out.dims[1], plane = this.outputSize.width * this.outputSize.height;
    softmaxInPlace(logits, classes, plane);
    return { width: this.outputSize.width, height: this.outputSize.height, classes, data: logits };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The image area-averaged onto a w x h grid (each cell the mean of the source pixels it covers, whole
 * pixels by their start), normalised per channel as (v / 255 - mean) / std, NCHW.
 */
function normalisedInput(image: RgbImage, w: number, h: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const { width, height, data } = image;
  const out = new Float32Array(3 * w * h);
  const plane = w * h;
  const xs = Int32Array.from({ length: w + 1 }, (_, x) => Math.min(width, Math.max(x === w ? width : 0, Math.floor((x * width) / w))));
  const ys = Int32Array.from({ length: h + 1 }, (_, y) => Math.min(height, Math.max(y === h ? height : 0, Math.floor((y * height) / h))));
  const acc = new Float64Array(3 * w);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    const y0 = ys[y], y1 = Math.max(ys[y + 1], y0 + 1);
    for (let sy = y0; sy < y1; sy++) {
      for (let x = 0; x < w; x++) {
        const x0 = xs[x], x1 = Math.max(xs[x + 1], x0 + 1);
        let r = 0, g = 0, b = 0;
        for (let o = (sy * width + x0) * 3, e = (sy * width + x1) * 3; o < e; o += 3) { r += data[o]; g += data[o + 1]; b += data[o + 2]; }
        acc[3 * x] += r; acc[3 * x + 1] += g; acc[3 * x + 2] += b;
      }
    }
    for (let x = 0; x < w; x++) {
      const n = (y1 - y0) * (Math.max(xs[x + 1], xs[x] + 1) - xs[x]) * 255;
      for (let c = 0; c < 3; c++) out[c * plane + y * w + x] = (acc[3 * x + c] / n - mean[c]) / std[c];
    }
  }
  return out;
}

function softmaxInPlace(logits: Float32Array, classes: number, plane: number): void {
  for (let i = 0; i < plane; i++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[c * plane + i]);
    let s = 0;
    for (let c = 0; c < classes; c++) { const e = Math.exp(logits[c * plane + i] - m); logits[c * plane + i] = e; s += e; }
    for (let c = 0; c < classes; c++) logits[c * plane + i] /= s;
  }
}
