// COCO instances json (https://cocodataset.org/#format-data). Unknown extra fields are kept, so a
// dataset read and written again loses nothing.
import type { DatasetProblem } from '../errors.ts';

/** Polygons: one or more rings [x1, y1, x2, y2, ...] in pixel coordinates (iscrowd 0). */
export type CocoPolygons = number[][];

/** RLE as stored in json: uncompressed counts (GT crowd regions) or the compressed string. */
export interface CocoRleJson {
  counts: number[] | string;
  /** [height, width] */
  size: [number, number];
}

export type CocoSegmentation = CocoPolygons | CocoRleJson;

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  license?: number;
  coco_url?: string;
  flickr_url?: string;
  date_captured?: string;
  [key: string]: unknown;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoSegmentation;
  area: number;
  /** [x, y, width, height] */
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  [key: string]: unknown;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  [key: string]: unknown;
}

export interface CocoLicense {
  id: number;
  name?: string;
  url?: string;
  [key: string]: unknown;
}

export interface CocoDataset {
  info?: Record<string, unknown>;
  licenses?: CocoLicense[];
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
  [key: string]: unknown;
}

/**
 * One problem found by validateCocoDataset. `imageId` is set when the problem is in one image's own
 * data (its file name, its file, its annotations' geometry); problems between ids (duplicates,
 * dangling references) concern the whole dataset and have none.
 */
export interface CocoProblem extends DatasetProblem {
  imageId?: number;
}
