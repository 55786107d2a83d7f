// The samples of the input dataset as a sorted list of work items (paths only, nothing decoded), and
// the decoding of one item into pixels and labels.
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import sharp from 'sharp';
import {
  DatasetError, annotationMask, cocoSamples, listCityscapesFrames, readCityscapesSample, readCocoDataset,
  type CityscapesFrame, type CocoAnnotation, type CocoCategory, type CocoImage, type SampleObject,
} from '@nightshift/labels';
import type { RgbImage } from '@nightshift/cyclegan';
import { canonicalJson, sha256, sha256File } from './hash.ts';
import type { DatasetFormat } from './options.ts';
import { cocoSplitOf } from '../dataset-input.ts';

/** One input file of a sample: its role, its path relative to the input root, and where it is. */
export interface SourceFile {
  role: string;
  /** Relative to the input root, '/'-separated. */
  path: string;
  absolute: string;
  /** For content that is not a whole file (a COCO image's annotations): the bytes that are hashed. */
  content?: string;
}

export interface SourceItem {
  /** Sort key and identity within the dataset: `<split>/<city>/<frame id>` or `<split>/<image id, 0-padded>`. */
  key: string;
  /** Frame id, or the COCO image id. */
  id: string;
  split: string;
  files: SourceFile[];
  frame?: CityscapesFrame;
  coco?: { image: CocoImage; annotations: CocoAnnotation[]; imagePath: string; pointer: string };
}

export interface SourceDataset {
  format: DatasetFormat;
  /** Cityscapes root, or the COCO images folder: source paths are relative to it. */
  root: string;
  /** The COCO json (COCO input only). */
  json?: string;
  /** Cityscapes: the image folder under the root (leftImg8bit, or e.g. leftImg8bit_night). */
  imageFolder: string;
  /** COCO output categories. */
  categories: CocoCategory[];
  items: SourceItem[];
}

/** A decoded sample: source pixels and labels. */
export interface DecodedSample {
  item: SourceItem;
  width: number;
  height: number;
  rgb: RgbImage;
  objects: SampleObject[];
  semantic?: Uint8Array;
  instances?: Uint16Array;
  objectMask(instanceId: number): Uint8Array;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const posixPath = (path: string): string => path.split(sep).join('/');

const GT_OPTIONAL: ReadonlyArray<[role: string, key: keyof CityscapesFrame]> = [
  ['color', 'colorPath'], ['labelTrainIds', 'labelTrainIdsPath'], ['polygons', 'polygonsPath'],
];

export function listCityscapesSource(root: string, imageFolder = 'leftImg8bit', split?: string): SourceDataset {
  const items = listCityscapesFrames(root, split ? { split } : {}).map((listed): SourceItem => {
    const frame: CityscapesFrame = imageFolder === 'leftImg8bit'
      ? listed
      : { ...listed, imagePath: join(root, imageFolder, listed.split, listed.city, basename(listed.imagePath)) };
    const file = (role: string, absolute: string): SourceFile => ({ role, absolute, path: posixPath(relative(root, absolute)) });
    const files = [
      file('image', frame.imagePath), file('labelIds', frame.labelIdsPath), file('instanceIds', frame.instanceIdsPath),
      ...GT_OPTIONAL.filter(([, k]) => existsSync(frame[k] as string)).map(([role, k]) => file(role, frame[k] as string)),
    ];
    return { key: `${frame.split}/${frame.city}/${frame.id}`, id: frame.id, split: frame.split, files, frame };
  });
  items.sort((a, b) => compare(a.key, b.key));
  return { format: 'cityscapes', root, imageFolder, categories: [], items };
}

export async function listCocoSource(json: string, imagesRoot: string): Promise<SourceDataset> {
  const ds = await readCocoDataset(json);
  const split = cocoSplitOf(json) ?? 'train';
  const items: SourceItem[] = [];
  let index = 0;
  // cocoSamples checks file names, categories and segmentations, naming the json and pointer.
  for (const s of cocoSamples(ds, imagesRoot, json)) {
    const pointer = `/images/${index++}`;
    if (s.imageId < 0) throw new DatasetError(json, `image id ${s.imageId} is negative`, `${pointer}/id`);
    const content = canonicalJson({ image: s.image, annotations: s.annotations });
    items.push({
      key: `${split}/${String(s.imageId).padStart(16, '0')}`,
      id: String(s.imageId),
      split,
      files: [
        { role: 'image', absolute: s.imagePath, path: posixPath(relative(imagesRoot, s.imagePath)) },
        { role: 'annotations', absolute: json, path: `${basename(json)}#${pointer}`, content },
      ],
      coco: { image: s.image, annotations: s.annotations, imagePath: s.imagePath, pointer },
    });
  }
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.key)) throw new DatasetError(json, `duplicate image id ${item.id}`, item.coco!.pointer);
    ids.add(item.key);
  }
  items.sort((a, b) => compare(a.key, b.key));
  return { format: 'coco', root: imagesRoot, json, imageFolder: '', categories: ds.categories, items };
}

export function hashSourceFile(file: SourceFile): string {
  return file.content !== undefined ? sha256(file.content) : sha256File(file.absolute);
}

/** Any image format sharp reads, as 8-bit sRGB. */
async function decodeRgb(path: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new DatasetError(path, `cannot read image: ${(error as Error).message}`);
  }
  try {
    const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw new DatasetError(path, `cannot decode image: ${(error as Error).message.trim()}`);
  }
}

function valueMask(values: Uint16Array, value: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = values[i] === value ? 1 : 0;
  return mask;
}

export async function decodeSample(item: SourceItem, categoryNames: ReadonlyMap<number, string> = new Map()): Promise<DecodedSample> {
  if (item.frame) {
    const sample = await readCityscapesSample(item.frame);
    const rgb = await decodeRgb(item.frame.imagePath);
    if (rgb.width !== sample.width || rgb.height !== sample.height) {
      throw new DatasetError(item.frame.imagePath, `image is ${rgb.width}x${rgb.height} but its labels are ${sample.width}x${sample.height}`);
    }
    const { semantic, instances } = sample;
    return {
      item, width: sample.width, height: sample.height, rgb, objects: sample.objects, semantic, instances,
      objectMask: (instanceId) => valueMask(instances, instanceId),
    };
  }
  const coco = item.coco!;
  const rgb = await decodeRgb(coco.imagePath);
  if (rgb.width !== coco.image.width || rgb.height !== coco.image.height) {
    throw new DatasetError(coco.imagePath, `image is ${rgb.width}x${rgb.height} but its COCO entry says ${coco.image.width}x${coco.image.height}`);
  }
  const byId = new Map(coco.annotations.map((a) => [a.id, a]));
  const objects: SampleObject[] = coco.annotations.map((a) => {
    const mask = annotationMask(a, rgb.height, rgb.width);
    let pixels = 0;
    for (let i = 0; i < mask.length; i++) pixels += mask[i];
    return { instanceId: a.id, labelId: a.category_id, name: categoryNames.get(a.category_id) ?? `category ${a.category_id}`, bbox: a.bbox, area: a.area, pixelCount: pixels, iscrowd: a.iscrowd === 1 };
  });
  return {
    item, width: rgb.width, height: rgb.height, rgb, objects,
    objectMask: (instanceId) => annotationMask(byId.get(instanceId)!, rgb.height, rgb.width),
  };
}

/** COCO output file name of a translated image: PNG, under the source's relative name. */
export function cocoOutputFileName(item: SourceItem): string {
  if (item.frame) return basename(item.frame.imagePath);
  const name = item.coco!.image.file_name.split('\\').join('/');
  return extname(name).toLowerCase() === '.png' ? name : `${name.slice(0, name.length - extname(name).length)}.png`;
}
