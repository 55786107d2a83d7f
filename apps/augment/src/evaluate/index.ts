// `nightshift evaluate` as a library: Cityscapes semantic-segmentation scores of a dataset against
// prediction PNGs or an ONNX segmenter, the robustness comparison on a build, and the pages.
export {
  evaluateDataset, openPredictions, scoreFrames,
  type DatasetEvaluation, type EvaluateOptions, type FramePredictor, type OpenedPredictions, type PredictionSpec,
  type PredictionsRecord, type ScoredVariant,
} from './evaluate.ts';
export { EVALUATION_HTML, EVALUATION_JSON, evaluationJson, writeEvaluation } from './evaluation-page.ts';
export { COMPARISON_HTML, COMPARISON_JSON, compareBuild, comparisonJson, writeComparison, type BuildComparison, type CompareOptions } from './compare.ts';
export {
  IMAGENET_MEAN, IMAGENET_STD, OnnxSegmenter, SEGMENTER_CLASSES, argmaxResized, resizeBilinear, windows,
  type SegmenterInfo, type SegmenterOptions, type WindowSize,
} from './segmenter.ts';
export { buildSourceTruth, listTruth, readTruth, voidFlaggedRegions, type TruthFrame, type TruthLabels, type TruthSet } from './truth.ts';
export type { WorstFrame } from './worst-frames.ts';
