import type { CocoAnnotation, CocoImage } from './coco/types.ts';

/** Axis-aligned box [x, y, width, height] in pixels, as COCO writes it. */
export type Box = [number, number, number, number];

/** One labelled object of a sample: a Cityscapes instance or group, or a COCO annotation. */
export interface SampleObject {
  /** Cityscapes: the instanceIds value (labelId*1000+k, or labelId for a group). COCO: the annotation id. */
  instanceId: number;
  /** Cityscapes label id; for COCO input, the category id. */
  labelId: number;
  name: string;
  /** Tight box around the object's pixels. */
  bbox: Box;
  /** Area as the format states it (COCO `area`; Cityscapes: the pixel count). */
  area: number;
  /** Pixels of the decoded mask. */
  pixelCount: number;
  /** A group without an instance index (Cityscapes "cargroup") or a COCO iscrowd annotation. */
  iscrowd: boolean;
}

/** One Cityscapes frame with its fine labels, decoded into typed arrays. */
export interface CityscapesSample {
  format: 'cityscapes';
  /** `<city>_<seq>_<frame>`, unique within the dataset. */
  id: string;
  split: string;
  city: string;
  imagePath: string;
  labelIdsPath: string;
  instanceIdsPath: string;
  /** The polygons json, when the dataset has one. */
  polygonsPath?: string;
  width: number;
  height: number;
  /** labelIds, row-major, one byte per pixel. */
  semantic: Uint8Array;
  /** instanceIds, row-major, 16 bits per pixel (labelId*1000+k for instances, labelId otherwise). */
  instances: Uint16Array;
  objects: SampleObject[];
}

/** One COCO image with its annotations; objects are derived from the decoded segmentations. */
export interface CocoSample {
  format: 'coco';
  /** The image id as a string, unique within the dataset. */
  id: string;
  imageId: number;
  imagePath: string;
  width: number;
  height: number;
  image: CocoImage;
  /** The image's annotations, in file order. */
  annotations: CocoAnnotation[];
  objects: SampleObject[];
}
