// Cityscapes semantic-segmentation evaluation (cityscapesScripts evalPixelLevelSemanticLabeling).
export {
  AVG_CLASS_SIZE, CATEGORIES, CONFUSION_SIZE, EVAL_CLASSES, EVAL_LABEL_IDS, INSTANCE_CATEGORIES, INSTANCE_CLASSES,
} from './eval-tables.ts';
export { PREDICTION_IDS, predictionIdsFitting, predictionToLabelIds, type PredictionIds } from './prediction-ids.ts';
export { labelIou, meanOfValid, type ConfusionMatrix } from './scores.ts';
export {
  SemanticEvaluator, type EvaluationFrame, type FrameScore, type PerImageScore, type SemanticEvaluation,
} from './semantic-evaluator.ts';
