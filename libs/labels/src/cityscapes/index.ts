// Public API of the Cityscapes side of @nightshift/labels.
export {
  GT_FINE_KINDS, cityscapesImagePath, cityscapesLabelPath, parseCityscapesPath, parseFrameId,
  type FrameRef, type GtFineKind, type ParsedCityscapesPath,
} from './naming.ts';
export { objectsFromInstanceIds } from './objects.ts';
export {
  checkCityscapesPolygons, parseCityscapesPolygons, rasterisePolygons, readCityscapesPolygons,
  type CityscapesPolygonObject, type CityscapesPolygons, type RasterisedLabels,
} from './polygons.ts';
export { fillPolygonLikePil } from './pil-polygon.ts';
export { tracePolygons } from './trace.ts';
export {
  colorDisagreement, instanceClassDisagreement, toColor, toTrainIds, trainIdDisagreement, unknownLabelIds,
  type Disagreement,
} from './consistency.ts';
export {
  cityscapesFrame, inspectCityscapesFrame, listCityscapesFrames, readCityscapes, readCityscapesSample,
  type CityscapesFrame, type CityscapesListOptions, type FrameCheckOptions,
} from './reader.ts';
export {
  validateCityscapes,
  type CityscapesProblem, type CityscapesSummary, type CityscapesValidateOptions, type CityscapesValidation,
} from './validate.ts';
export {
  copyOrWriteImage, formatCityscapesPolygons, writeCityscapesLabels,
  type CityscapesLabels, type WrittenCityscapesLabels,
} from './writer.ts';
