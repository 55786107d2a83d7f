export {
  DEFAULT_ARCHITECTURE,
  NETWORK_NAMES,
  discriminatorArchitectureOf,
  generatorArchitectureOf,
  generatorKindOf,
  GENERATOR_KINDS,
  resolveArchitecture,
  resolveDiscriminatorArchitecture,
  resolveGeneratorArchitecture,
  type CycleGanArchitecture,
  type DiscriminatorArchitecture,
  type GeneratorArchitecture,
  type GeneratorKindName,
  type NetworkName,
} from './config.ts';
export { SeededRandom, deriveSeed } from './random.ts';
export { Network, type NetworkOptions, type StateDictTensor } from './networks/network.ts';
export {
  conv2dParams,
  convTranspose2dParams,
  countParams,
  tfToTorchLayout,
  torchToTfLayout,
  type ParamKind,
  type ParamSpec,
} from './networks/parameters.ts';
export { conv2d, convTranspose2dUp, instanceNorm, reflectPad } from './networks/layers.ts';
export {
  Generator,
  generatorSpecs,
  type BaseGeneratorArchitecture,
  type GeneratorForwardOptions,
  type GeneratorInputSize,
  type GeneratorKind,
  type StateDictShapes,
} from './networks/generator.ts';
export { convNames, inferRepeats, sequential, stepSpecs, type GeneratorOp, type GeneratorStep, type SequentialModule } from './networks/generator-steps.ts';
export { defineGenerator, generatorKind, generatorKinds, registerGeneratorKind } from './networks/generator-kinds.ts';
export { BILATERAL_GENERATOR, BilateralGenerator, bilateralGeneratorSpecs } from './networks/bilateral-generator.ts';
export {
  RESNET_GENERATOR, ResnetGenerator, inferGeneratorArchitecture, resnetGeneratorSpecs, resnetGeneratorSteps,
} from './networks/resnet-generator.ts';
export {
  DEFAULT_SEGMENTER, Segmenter, resolveSegmenterArchitecture, segmenterChannels, segmenterSpecs, type SegmenterArchitecture,
} from './networks/segmenter.ts';
export { PatchDiscriminator, patchDiscriminatorLayers, patchDiscriminatorSpecs } from './networks/patch-discriminator.ts';
export { createCycleGanNetworks, type CreateCycleGanOptions, type CycleGanNetworks } from './networks/cyclegan-networks.ts';
export {
  encodeSafetensors,
  entryToFloat32,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
  type Float32Tensor,
  type SafetensorsEntry,
  type SafetensorsFile,
} from './safetensors.ts';
export { parseStateDict, readStateDict, weightFileFormat, type WeightFileFormat } from './state-dict-file.ts';
export { parseTorchCheckpoint, STATE_DICT_WRAPPERS, type TorchStateDict } from './torch/torch-checkpoint.ts';
export { matchStateDict } from './state-dict-match.ts';
export {
  GENERATOR_ARCH_NAMES,
  createGenerator,
  describeGenerator,
  identifyStateDict,
  type CreateGeneratorOptions,
  type GeneratorArchName,
  type IdentifiedGenerator,
  type IdentifiedStateDict,
} from './import/identify-generator.ts';
export {
  GENERATOR_CHECKPOINT_FORMAT,
  GENERATOR_CHECKPOINT_VERSION,
  importGenerator,
  type GeneratorCheckpointConfig,
  type ImportedGenerator,
  type ImportGeneratorOptions,
  type ImportSource,
} from './import/generator-checkpoint.ts';
export {
  CHECKPOINT_CONFIG_FILE,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  readCheckpointConfig,
  saveCheckpoint,
  type CheckpointConfig,
  type CheckpointNetworkEntry,
  type CheckpointNetworks,
  type SaveCheckpointConfig,
} from './checkpoint/config.ts';
export { inferDiscriminatorArchitecture } from './checkpoint/architecture.ts';
export {
  loadCheckpoint,
  loadDiscriminator,
  loadGenerator,
  weightsKindOf,
  type LoadDiscriminatorOptions,
  type LoadGeneratorOptions,
  type LoadedCheckpoint,
} from './checkpoint/load.ts';

export { generatorParamCount, discriminatorParamCount } from './networks/param-counts.ts';
export * from './train/index.ts';
export * from './translate/index.ts';
export * from './backends/index.ts';
export * from './onnx/index.ts';
export * from './pix2pix/index.ts';
export {
  ENGINE_CANDIDATES, ENGINE_REQUESTS, FIXED_ORDER, openTranslator, parseEngineCandidate,
} from './engine-choice.ts';
export type {
  EngineCandidate, EngineMeasurement, EngineName, EngineReason, EngineRequest, EngineRule, OpenTranslatorOptions, OpenedTranslator,
  PassedOver, TileRequest,
} from './engine-choice.ts';
