// `nightshift evaluate` without the printing: the frames of a dataset scored against prediction PNGs
// or an ONNX segmenter, with cityscapesScripts' definitions (SemanticEvaluator). Everything is
// computed before anything is written, so a bad input stops the run with nothing written.
import { existsSync } from 'node:fs';
import {
  DatasetError, SemanticEvaluator, predictionToLabelIds, readImageRgb, type PredictionIds, type SemanticEvaluation,
} from '@nightshift/labels';
import { detectPredictionIds, matchPredictions, readPrediction } from './predictions.ts';
import { OnnxSegmenter, type SegmenterInfo, type SegmenterOptions } from './segmenter.ts';
import { listTruth, readTruth, voidFlaggedRegions, type TruthFrame, type TruthSet } from './truth.ts';
import { WorstFrames, type WorstFrame } from './worst-frames.ts';

/** Where the predictions come from. */
export type PredictionSpec =
  | { readonly predictions: string; readonly predictionIds?: PredictionIds }
  | { readonly segmenter: string; readonly segmenterOptions?: SegmenterOptions };

export type EvaluateOptions = PredictionSpec & {
  /** A Cityscapes root, or a nightshift build (its flagged regions count as void). */
  readonly dataset: string;
  readonly split?: string;
  /** Frames of lowest mean IoU kept for the page (default 6). */
  readonly worstFrames?: number;
  /** Called after each frame. */
  readonly onFrame?: (done: number, total: number) => void;
};

export type PredictionsRecord =
  | { readonly kind: 'files'; readonly folder: string; readonly ids: PredictionIds; readonly why: string }
  | { readonly kind: 'segmenter'; readonly segmenter: SegmenterInfo };

export interface DatasetEvaluation {
  readonly dataset: { readonly path: string; readonly kind: TruthSet['kind']; readonly root: string; readonly frames: number; readonly flaggedPixels: number };
  readonly predictions: PredictionsRecord;
  readonly evaluation: SemanticEvaluation;
  readonly worstFrames: readonly WorstFrame[];
}

/** Predicts one frame as labelIds at the truth's size. */
export type FramePredictor = (frame: TruthFrame, width: number, height: number, truthFile: string) => Promise<Uint8Array>;

/** A source of predictions, opened: the predictor, what it is, and how to close it. */
export interface OpenedPredictions {
  readonly record: PredictionsRecord;
  readonly predict: FramePredictor;
  close(): Promise<void>;
}

/** Opens the prediction files or the segmenter for these frames (checking every file is there first). */
export async function openPredictions(spec: PredictionSpec, frames: readonly TruthFrame[]): Promise<OpenedPredictions> {
  if ('predictions' in spec) {
    const files = matchPredictions(spec.predictions, frames);
    const choice = spec.predictionIds
      ? { ids: spec.predictionIds, why: 'given (--prediction-ids)' }
      : await detectPredictionIds(files.values());
    return {
      record: { kind: 'files', folder: spec.predictions, ids: choice.ids, why: choice.why },
      predict: (frame, width, height, truthFile) => readPrediction(files.get(frame)!, choice.ids, width, height, truthFile),
      close: async () => {},
    };
  }
  const missing = frames.filter((f) => !existsSync(f.imagePath));
  if (missing.length > 0) {
    throw new DatasetError(missing[0].imagePath, `missing: --segmenter needs every frame's image${missing.length > 1 ? ` (${missing.length - 1} more are missing)` : ''}`);
  }
  const segmenter = await OnnxSegmenter.create(spec.segmenter, spec.segmenterOptions);
  return {
    record: { kind: 'segmenter', segmenter: segmenter.info },
    predict: async (frame, width, height) => {
      const trainIds = await segmenter.predict(await readImageRgb(frame.imagePath), { width, height }, frame.imagePath);
      return predictionToLabelIds(trainIds, 'trainIds', frame.imagePath);
    },
    close: () => segmenter.dispose(),
  };
}

/** One way of scoring the same predictions: the truth as is, or with flagged regions void. */
export interface ScoredVariant {
  readonly evaluation: SemanticEvaluation;
  readonly worstFrames: readonly WorstFrame[];
  readonly flaggedPixels: number;
}

/**
 * Scores `frames` with `predict`, once per entry of `voidFlagged` (the prediction is made once per
 * frame). Bad frames throw a DatasetError naming their file.
 */
export async function scoreFrames(
  frames: readonly TruthFrame[], predict: FramePredictor, voidFlagged: readonly boolean[], worstCount: number,
  onFrame?: (done: number, total: number) => void,
): Promise<ScoredVariant[]> {
  const variants = voidFlagged.map((v) => ({ voidFlagged: v, evaluator: new SemanticEvaluator(), worst: new WorstFrames(worstCount), flaggedPixels: 0 }));
  let done = 0;
  onFrame?.(0, frames.length);
  for (const frame of frames) {
    const plain = await readTruth(frame);
    const prediction = await predict(frame, plain.width, plain.height, frame.labelIdsPath);
    for (const v of variants) {
      const truth = v.voidFlagged ? voidFlaggedRegions(frame, plain) : plain;
      const score = v.evaluator.add({
        name: frame.id, width: truth.width, height: truth.height, truth: truth.truth, instances: truth.instances, prediction,
        truthFile: frame.labelIdsPath, instancesFile: frame.instanceIdsPath,
      });
      v.flaggedPixels += truth.flaggedPixels;
      v.worst.offer(score, frame.imagePath, truth.width, truth.height, truth.truth, prediction);
    }
    onFrame?.(++done, frames.length);
  }
  return variants.map((v) => ({ evaluation: v.evaluator.result(), worstFrames: v.worst.frames, flaggedPixels: v.flaggedPixels }));
}

/** Evaluates a dataset (a build's flagged regions void) against prediction PNGs or a segmenter. */
export async function evaluateDataset(options: EvaluateOptions): Promise<DatasetEvaluation> {
  const truth = listTruth(options.dataset, options.split);
  const opened = await openPredictions(options, truth.frames);
  try {
    const [scored] = await scoreFrames(truth.frames, opened.predict, [truth.kind === 'build'], options.worstFrames ?? 6, options.onFrame);
    return {
      dataset: { path: options.dataset, kind: truth.kind, root: truth.root, frames: truth.frames.length, flaggedPixels: scored.flaggedPixels },
      predictions: opened.record,
      evaluation: scored.evaluation,
      worstFrames: scored.worstFrames,
    };
  } finally {
    await opened.close();
  }
}
