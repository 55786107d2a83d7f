// Public API of @nightshift/labels: the Cityscapes label table, PNG label io, Cityscapes and COCO
// readers/writers, the COCO RLE codec, and conversion between the formats.
export * from './label-table.ts';
export { DatasetError, formatProblem, type DatasetProblem } from './errors.ts';
export type { Box, CityscapesSample, SampleObject } from './sample.ts';
export * from './png.ts';
export { MAX_IMAGE_PIXELS, readImageRgb } from './image-file.ts';
export * from './cityscapes/index.ts';
export * from './coco/index.ts';
export * from './convert/index.ts';
export { atomicTempOwner, atomicTempPath, copyFileAtomic, writeFileAtomic } from './atomic-file.ts';
export { isPathInside, resolvesOutside } from './paths.ts';
export * from './evaluation/index.ts';
export { resizeLabelsNearest, resizeRgbArea, type SourceWindow } from './resize.ts';
