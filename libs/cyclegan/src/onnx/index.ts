export {
  ONNX_INPUT_NAME, ONNX_IR_VERSION, ONNX_METADATA_KEYS, ONNX_OPSET, ONNX_OUTPUT_NAME, ONNX_PRECISIONS, ONNX_PRODUCER,
  exportGeneratorOnnx, generatorToOnnx, writeGeneratorOnnx,
} from './export.ts';
export type { OnnxExportOptions, OnnxPrecision } from './export.ts';
export { SEGMENTER_OUTPUT_NAME, segmenterToOnnx, writeSegmenterOnnx } from './segmenter-export.ts';
export {
  SEGMENTER_CARD_FILE, SEGMENTER_CARD_FORMAT, SegmenterCardError, readSegmenterCard, writeSegmenterCard, type LoadedSegmenterCard, type SegmenterCard,
} from './segmenter-card.ts';
export { float32ToHalf, fromHalfBits, halfToFloat32, toHalfBits } from './float16.ts';
export { inspectGeneratorOnnx } from './model-inspect.ts';
export type { OnnxDim, OnnxGeneratorModel, OnnxImageValue } from './model-inspect.ts';
export {
  ONNX_PROVIDERS, ONNX_PROVIDER_NAMES, ONNX_PROVIDER_REQUESTS, onnxProvider, onnxProviderMissing, onnxProvidersFor,
  onnxSessionOptions, openOnnxSession, parseOnnxProvider, systemWebGpuAdapter,
} from './providers.ts';
export type { OnnxProvider, OnnxProviderName, OnnxProviderRequest, OpenedOnnxSession, SkippedProvider } from './providers.ts';
export { OnnxTranslator, WHOLE_BYTES_PER_PIXEL_PER_NGF } from './onnx-translator.ts';
export { OnnxTileBackend, stepToOnnx } from './tile-sessions.ts';
export type { OnnxTranslatorInfo, OnnxTranslatorOptions } from './onnx-translator.ts';
