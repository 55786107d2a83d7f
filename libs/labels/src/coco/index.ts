export type { CocoAnnotation, CocoCategory, CocoDataset, CocoImage, CocoLicense, CocoPolygons, CocoProblem, CocoRleJson, CocoSegmentation } from './types.ts';
export {
  annotationToRle,
  bboxIou,
  rleArea,
  rleDecode,
  rleEncode,
  rleFromBbox,
  rleFromPolygon,
  rleFromString,
  rleIou,
  rleMerge,
  rlePixelTotal,
  rleToBbox,
  rleToCompressed,
  rleToString,
} from './rle.ts';
export type { CompressedRle, Rle } from './rle.ts';
export { COCO_INSTANCES_SCHEMA, assertCocoSchema } from './schema.ts';
export { annotationMask, cocoSamples, readCocoDataset, unsafeFileName, validateCocoDataset } from './reader.ts';
export { cocoDatasetToJson, maskToAnnotationFields, maskToSegmentation, writeCocoDataset } from './writer.ts';
export type { CocoMaskFields } from './writer.ts';
