// The CycleGAN trainer's public API (re-exported by src/index.ts).
import './register-gradients.ts';

export {
  trainCycleGan,
  resolveTrainingRecipe,
  TRAINING_DEFAULTS,
  LOSS_LOG_FILE,
  LOSS_CURVE_FILE,
  LATEST_FILE,
  type TrainCycleGanOptions,
  type CycleGanTrainingRecipe,
  type TrainProgress,
  type TrainEvent,
  type TrainResult,
  type LossLogLine,
} from './cyclegan-trainer.ts';
export {
  CycleGanModel,
  DEFAULT_MODEL_OPTIONS,
  LOSS_NAMES,
  resolveModelOptions,
  type CycleGanLosses,
  type CycleGanLossOptions,
  type CycleGanModelOptions,
  type CycleGanModelState,
  type CycleGanVisuals,
  type IterationResult,
  type LossName,
} from './cyclegan-model.ts';
export { ganLoss, l1Loss, GAN_MODES, type GanMode } from './losses.ts';
export { ImagePool, type ImagePoolState, type PooledImage } from './image-pool.ts';
export { Adam, CYCLEGAN_ADAM, type AdamOptions, type AdamState } from './optimizer.ts';
export { linearLrMultiplier, lrMultiplierForEpoch, lastEpoch, type LinearScheduleOptions } from './schedule.ts';
export {
  listImages,
  loadTrainingImage,
  resizedSize,
  UnpairedData,
  DEFAULT_PREPROCESS,
  PREPROCESS_MODES,
  type ImageListing,
  type Preprocess,
  type PreprocessOptions,
  type TrainingImage,
  type UnpairedBatch,
  type UnpairedDataOptions,
  type UnpairedDataState,
} from './data.ts';
export {
  IGNORE_TRAIN_ID, IMAGENET_MEAN, IMAGENET_STD, SegmenterTrainer, TORCH_ADAM, labelBatch, normaliseImages, normalisedNchw, normalisedValues, polyLearningRate, predictTrainIds, softmaxInPlace,
  segmentationLoss, segmenterLogits, type NormaliseOptions, type SegmenterImage, type SegmenterStepInput, type SegmenterTrainerOptions,
} from './segmenter-training.ts';
export { RandomStream, type RandomStreamState } from './random-stream.ts';
export { encodeSampleGrid, sampleGridPixels } from './sample-grid.ts';
export { lossChartSvg, renderLossChartPng, type LossSeriesPoint } from './loss-chart.ts';
export { readTrainerState, writeTrainerState, TRAINER_STATE_JSON, TRAINER_STATE_TENSORS } from './trainer-state.ts';
