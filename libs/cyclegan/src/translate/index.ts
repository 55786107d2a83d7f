export type { ExecutionPlan, PlanListener, Translator, TranslatorInfo } from './translator.ts';
export { TfjsTranslator } from './tfjs-translator.ts';
export type { TfjsTranslatorInfo, TfjsTranslatorOptions, TilingMode, TranslatorGenerator } from './tfjs-translator.ts';
export {
  checkRgbImage, cropImage, paddedSize, paddedSizeFor, reflectPadImage, rgbToUnit, unitToByte, unitToRgbBytes,
} from './image.ts';
export type { RgbImage } from './image.ts';
export { applyTiled, gatherRegion, tfjsTileBackend } from './tiled.ts';
export { runPlanTiled } from './tile-driver.ts';
export type { ConvTile, ConvTileResult, HostActivation, TileBackend, TiledOptions } from './tile-driver.ts';
export { generatorPlan, generatorPlanGeometry, planGeometry, stepInputRange, stepOutputSize } from './generator-plan.ts';
export type { ConvKind, PlanStep, StepGeometry } from './generator-plan.ts';
export { modelHash } from './model-hash.ts';
export { seamReport } from './seams.ts';
export type { SeamReport } from './seams.ts';
