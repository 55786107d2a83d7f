export type { Translator, TranslatorInfo } from './translator.ts';
export { TfjsTranslator } from './tfjs-translator.ts';
export type { ExecutionPlan, TfjsTranslatorInfo, TfjsTranslatorOptions, TilingMode, TranslatorGenerator } from './tfjs-translator.ts';
export {
  checkRgbImage, cropImage, paddedSize, paddedSizeFor, reflectPadImage, rgbToUnit, unitToByte, unitToRgbBytes,
} from './image.ts';
export type { RgbImage } from './image.ts';
export { applyTiled, gatherRegion } from './tiled.ts';
export type { HostActivation, TiledOptions } from './tiled.ts';
export { generatorPlan, stepInputRange, stepOutputSize } from './generator-plan.ts';
export type { ConvKind, PlanStep } from './generator-plan.ts';
export { modelHash } from './model-hash.ts';
export { seamReport } from './seams.ts';
export type { SeamReport } from './seams.ts';
