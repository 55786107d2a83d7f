// pix2pix (paired translation): the U-Net generator, batch-norm helpers, model, trainer and loading.
// Re-exported by src/index.ts.
export {
  UNET_256,
  UnetGenerator,
  SeededDropoutMasks,
  UNET_GENERATOR,
  inferUnetArchitecture,
  resolveUnetArchitecture,
  unetGeneratorSpecs,
  unetGeneratorSteps,
  type DropoutMasks,
  type UnetForwardOptions,
  type UnetGeneratorArchitecture,
  type UnetGeneratorOptions,
  type UnetInference,
} from '../networks/unet-generator.ts';
export {
  NORM_TYPES,
  batchNorm,
  commitBatchStats,
  disposeBatchStats,
  type BatchNormMode,
  type BatchStatsEntry,
  type BatchStatsLog,
  type NormType,
} from '../networks/batch-norm.ts';
export { batchNorm2dParams, isBufferSpec } from '../networks/parameters.ts';
export type { PatchDiscriminatorOptions, DiscriminatorForwardOptions } from '../networks/patch-discriminator.ts';
export {
  Pix2PixModel,
  PIX2PIX_ARCHITECTURE,
  PIX2PIX_LOSS_NAMES,
  DEFAULT_PIX2PIX_OPTIONS,
  resolvePix2PixArchitecture,
  resolvePix2PixOptions,
  type Pix2PixArchitecture,
  type Pix2PixIterationResult,
  type Pix2PixLosses,
  type Pix2PixLossName,
  type Pix2PixModelOptions,
  type Pix2PixModelState,
  type Pix2PixVisuals,
} from './pix2pix-model.ts';
export {
  trainPix2Pix,
  resolvePix2PixRecipe,
  type Pix2PixLossLogLine,
  type Pix2PixTrainEvent,
  type Pix2PixTrainingRecipe,
  type Pix2PixTrainProgress,
  type TrainPix2PixOptions,
} from './pix2pix-trainer.ts';
export { listPairs, loadPair, splitSideBySide, PairedData, type ImagePair, type PairListing, type PairedBatch, type PairedDataOptions } from './paired-data.ts';
export {
  PIX2PIX_CHECKPOINT_FORMAT,
  PIX2PIX_CHECKPOINT_VERSION,
  loadPix2PixCheckpoint,
  loadUnetGenerator,
  readPix2PixConfig,
  savePix2PixCheckpoint,
  type LoadUnetGeneratorOptions,
  type Pix2PixCheckpointConfig,
  type Pix2PixNetworkName,
} from './pix2pix-checkpoint.ts';
export { readPix2PixTrainerState, writePix2PixTrainerState, type Pix2PixProgressState } from './pix2pix-trainer-state.ts';
export { loadTranslationGenerator, type LoadTranslationGeneratorOptions } from './load-translation-generator.ts';
