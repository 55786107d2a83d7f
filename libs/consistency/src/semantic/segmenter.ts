// The night-capable segmenter the semantic cue reads: an ONNX model (logits over the 19 Cityscapes
// trainIds) with its card beside it (segmenter.json: the model file, input size, normalisation, class list), run through
// ONNX Runtime on the cpu provider. Frames are area-averaged down to the model's input size and the
// logits turned into per-class probabilities (softmax) on that grid: the cue works on the grid, not at
// full resolution, which keeps a 2048x1024 check well under a second on one core.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { SegmenterCardError, normalisedNchw, normalisedValues, openOnnxSession, readSegmenterCard, softmaxInPlace, type LoadedSegmenterCard } from '@nightshift/cyclegan';
import { DatasetError, TRAIN_LABELS, resizeRgbArea } from '@nightshift/labels';
import type { RgbImage } from '../image.ts';
import { semanticCalibrationOf, type SemanticCalibration } from './calibration.ts';
import type { SemanticInput } from './cue.ts';

/** Softmax probabilities per class on the model's grid, class-major planes (data[c * width * height + i]). */
export interface ClassProbabilities {
  width: number;
  height: number;
  classes: number;
  data: Float32Array;
}

/** What the segmenter's card says of its input and output. */
export interface SegmenterDescription {
  /** Input size every frame is area-resized to. */
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
  /** Open a card without a valid calibration (calibration undefined): for calibrating it. */
  uncalibrated?: boolean;
}

const EXPECTED_CLASSES = TRAIN_LABELS.map((l) => l.name);

export class SemanticSegmenter {
  /** The network's input value of each 8-bit value, per channel (the card's mean and std). */
  private readonly normalised: Float32Array[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly file: string,
    /** sha256 of the model file (hex). */
    readonly modelHash: string,
    readonly description: SegmenterDescription,
    /** The semantic cue's thresholds for these weights, from the card (undefined only when opened `uncalibrated`). */
    readonly calibration: SemanticCalibration | undefined,
    private readonly inputName: string,
    private readonly outputName: string,
    private readonly outputSize: { width: number; height: number },
  ) {
    this.normalised = normalisedValues(description.mean, description.std);
  }

  /**
   * Opens and checks the card (the folder holding segmenter.json, or the card itself) and the model:
   * the card as readSegmenterCard checks it, with the 19 trainId names; the model readable, one float32
   * image input, and logits [1, 19, h, w] on a probe
   * of the described input size; the card's calibration made for this model file (semanticCalibrationOf).
   * Anything else throws a DatasetError naming the file, before any frame is looked at.
   */
  static async open(path: string, options: SemanticSegmenterOptions = {}): Promise<SemanticSegmenter> {
    let card: LoadedSegmenterCard;
    try {
      card = await readSegmenterCard(path, EXPECTED_CLASSES);
    } catch (e) {
      if (e instanceof SegmenterCardError) throw new DatasetError(e.file, e.problem);
      throw e;
    }
    const model = card.modelPath;
    const description: SegmenterDescription = { width: card.input.width, height: card.input.height, mean: card.mean, std: card.std, classes: card.classes };
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(model);
    } catch (e) {
      throw new DatasetError(model, `cannot read the segmenter model: ${(e as Error).message}`);
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    let calibration: SemanticCalibration | undefined;
    try {
      calibration = semanticCalibrationOf(card.file, card.calibration, hash);
    } catch (e) {
      if (!options.uncalibrated) throw e;
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
    return new SemanticSegmenter(session, model, hash, description, calibration, inputName, outputName, { width: dims[3], height: dims[2] });
  }

  /** Class probabilities of an image on the model's output grid. `what` names the image in errors. */
  async probabilities(image: RgbImage, what = 'image'): Promise<ClassProbabilities> {
    const { width, height } = this.description;
    // Area-resized as the segmenter was trained (resizeRgbArea).
    const input = normalisedNchw(image.width === width && image.height === height ? image : resizeRgbArea(image, width, height), this.normalised);
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

  /**
   * checkConsistency's semantic input for a source image and its translation: both readings and the
   * card's calibrated thresholds. `what` names the sample in errors.
   */
  async semanticInput(source: RgbImage, translated: RgbImage, what = 'image'): Promise<SemanticInput> {
    if (!this.calibration) throw new DatasetError(this.file, 'opened uncalibrated: the semantic cue has no thresholds for this model');
    return {
      day: await this.probabilities(source, `${what} (source)`),
      night: await this.probabilities(translated, `${what} (translated)`),
      thresholds: this.calibration.thresholds,
    };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
