// Public API of @nightshift/consistency: per-object erasure and per-region hallucination checks of a
// translated image against its source and labels, overlay pictures of the flags, fault injection for
// benchmarks (inpainting erasure, brightness-matched paste), and the photometric stand-in translator.
export { checkConsistency, isErased } from './check.ts';
export type { ConsistencyFlag, ConsistencyInput, ConsistencyResult } from './check.ts';
export type { ObjectScore } from './erasure.ts';
export type { RegionScore } from './hallucination.ts';
export type { LabelMaps, RgbImage } from './image.ts';
export { DEFAULT_THRESHOLDS, resolveThresholds } from './thresholds.ts';
export type { CheckThresholds, ConsistencyThresholds } from './thresholds.ts';
export { CALIBRATE_COMMAND, SEMANTIC_THRESHOLD_KEYS, writeSemanticCalibration } from './semantic/calibration.ts';
export type { SemanticCalibration, SemanticThresholds } from './semantic/calibration.ts';
export { drawOverlay, OVERLAY_COLORS } from './overlay.ts';
export { inpaint } from './faults/inpaint.ts';
export { pasteObject } from './faults/paste.ts';
export type { Donor, PasteOptions, PasteTruth } from './faults/paste.ts';
export { eraseInstance } from './faults/erase.ts';
export type { EraseTruth } from './faults/erase.ts';
export { SemanticSegmenter } from './semantic/segmenter.ts';
export type { ClassProbabilities, SegmenterDescription, SemanticSegmenterOptions } from './semantic/segmenter.ts';
export { SEMANTIC_THING_CLASSES, isSemanticallyErased } from './semantic/cue.ts';
export type { SemanticInput, SemanticObjectScore, SemanticResult } from './semantic/cue.ts';
export { photometricNight } from './night.ts';
export type { PhotometricNightOptions, Translate } from './night.ts';
export { listInstances, isObjectId } from './instances.ts';
export type { InstanceInfo } from './instances.ts';
