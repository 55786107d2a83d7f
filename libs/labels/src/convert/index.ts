export { CITYSCAPES_COCO_CATEGORIES, cityscapesObjectAnnotation, cityscapesSampleToCoco, cityscapesToCoco, type CityscapesToCocoResult } from './cityscapes-to-coco.ts';
export { COCO_CITY, cocoFrameRef, cocoToCityscapes, type CocoToCityscapesResult } from './coco-to-cityscapes.ts';
export { valueRle } from './value-rle.ts';
export { cocoLabelMaps, type CocoLabelMaps } from './coco-label-maps.ts';
