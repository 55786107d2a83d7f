// The samples of the input dataset as a sorted list of work items (paths only, nothing decoded), and
// the decoding of one item into pixels and labels.
import { existsSync, realpathSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import {
  DatasetError, annotationMask, cocoLabelMaps, listCityscapesFrames, readCityscapesSample, readCocoDataset, readImageRgb, resolvesOutside,
  unsafeFileName, validateCocoDataset,
  type CityscapesFrame, type CocoAnnotation, type CocoCategory, type CocoImage, type CocoProblem, type SampleObject,
} from '@nightshift/labels';
import type { RgbImage } from '@nightshift/cyclegan';
import type { CheckSample } from './checks.ts';
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

interface ItemBase {
  /** Sort key and identity within the dataset: `<split>/<city>/<frame id>` or `<split>/<image id, 0-padded>`. */
  key: string;
  /** Frame id, or the COCO image id. */
  id: string;
  split: string;
  files: SourceFile[];
  /** Why the sample cannot be built, found while listing: its files are then neither hashed nor read. */
  problem?: DatasetError;
}

export interface CityscapesItem extends ItemBase {
  format: 'cityscapes';
  frame: CityscapesFrame;
}

export interface CocoItem extends ItemBase {
  format: 'coco';
  coco: { image: CocoImage; annotations: CocoAnnotation[]; imagePath: string; annotationsFile: string; pointer: string };
  frame?: never;
}

/** One sample of the input, keyed on its format. */
export type SourceItem = CityscapesItem | CocoItem;

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

interface DecodedBase {
  width: number;
  height: number;
  rgb: RgbImage;
  objects: SampleObject[];
  objectMask(instanceId: number): Uint8Array;
  /** What the checks read: Cityscapes label maps, and the object each instanceIds value stands for. */
  checked: Pick<CheckSample, 'labels' | 'sourceIdOf'>;
}

export interface DecodedCityscapes extends DecodedBase {
  item: CityscapesItem;
  semantic: Uint8Array;
  instances: Uint16Array;
}

export interface DecodedCoco extends DecodedBase {
  item: CocoItem;
}

/** A decoded sample, source pixels and labels, keyed on its format like its item. */
export type DecodedSample = DecodedCityscapes | DecodedCoco;

/** Decodes the samples of one input format (the listing is listCityscapesSource / listCocoSource). */
export interface DatasetReader<I extends SourceItem, D extends DecodedSample> {
  readonly format: I['format'];
  decode(item: I, categories: readonly CocoCategory[]): Promise<D>;
}

/** The checks' view of a decoded sample. */
export function checkSampleOf(sample: DecodedSample): CheckSample {
  const { item, width, height, rgb, objects, objectMask, checked } = sample;
  return { id: item.key, width, height, source: rgb, objects, objectMask, ...checked };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const posixPath = (path: string): string => path.split(sep).join('/');

const GT_OPTIONAL: ReadonlyArray<[role: string, key: keyof CityscapesFrame]> = [
  ['color', 'colorPath'], ['labelTrainIds', 'labelTrainIdsPath'], ['polygons', 'polygonsPath'],
];

/** The real path of a dataset folder, against which every input file's real path is checked. */
function realRoot(root: string): string {
  try {
    return realpathSync.native(root);
  } catch (error) {
    throw new DatasetError(root, `cannot open the dataset folder: ${(error as Error).message}`);
  }
}

/** A file that resolves (through a symlink) to a place outside the dataset folder; missing files are left to the reader. */
function outsideRoot(absolute: string, real: string): DatasetError | undefined {
  const resolved = resolvesOutside(absolute, real);
  return resolved === undefined ? undefined : new DatasetError(absolute, `resolves to ${resolved}, outside the dataset folder ${real}`);
}

export function listCityscapesSource(root: string, imageFolder = 'leftImg8bit', split?: string): SourceDataset {
  const real = realRoot(root);
  const items = listCityscapesFrames(root, split ? { split } : {}).map((listed): SourceItem => {
    const frame: CityscapesFrame = imageFolder === 'leftImg8bit'
      ? listed
      : { ...listed, imagePath: join(root, imageFolder, listed.split, listed.city, basename(listed.imagePath)) };
    const file = (role: string, absolute: string): SourceFile => ({ role, absolute, path: posixPath(relative(root, absolute)) });
    const files = [
      file('image', frame.imagePath), file('labelIds', frame.labelIdsPath), file('instanceIds', frame.instanceIdsPath),
      ...GT_OPTIONAL.filter(([, k]) => existsSync(frame[k] as string)).map(([role, k]) => file(role, frame[k] as string)),
    ];
    const problem = files.map((f) => outsideRoot(f.absolute, real)).find((p) => p !== undefined);
    return { format: 'cityscapes', key: `${frame.split}/${frame.city}/${frame.id}`, id: frame.id, split: frame.split, files, frame, ...(problem ? { problem } : {}) };
  });
  items.sort((a, b) => compare(a.key, b.key));
  return { format: 'cityscapes', root, imageFolder, categories: [], items };
}

/**
 * The images of a COCO json as work items. Problems between ids (duplicates, dangling references)
 * make the dataset unusable and throw; a problem in one image's own data (file name, file, annotation
 * geometry) is attached to that image's item, which is then recorded as failed without being read.
 */
export async function listCocoSource(json: string, imagesRoot: string): Promise<SourceDataset> {
  const ds = await readCocoDataset(json);
  const problems = await validateCocoDataset(ds, json);
  const datasetLevel = problems.filter((p) => p.imageId === undefined);
  if (datasetLevel.length) throw datasetProblem(datasetLevel);
  const perImage = new Map<number, CocoProblem>();
  for (const p of problems) if (!perImage.has(p.imageId!)) perImage.set(p.imageId!, p);
  const real = realRoot(imagesRoot);
  const split = cocoSplitOf(json) ?? 'train';
  const annotations = new Map<number, CocoAnnotation[]>();
  for (const a of ds.annotations) {
    const list = annotations.get(a.image_id);
    if (list) list.push(a);
    else annotations.set(a.image_id, [a]);
  }
  const items = ds.images.map((image, index): SourceItem => {
    const pointer = `/images/${index}`;
    if (image.id < 0) throw new DatasetError(json, `image id ${image.id} is negative`, `${pointer}/id`);
    const own = annotations.get(image.id) ?? [];
    const content = canonicalJson({ image, annotations: own });
    const imagePath = join(imagesRoot, image.file_name);
    const known = perImage.get(image.id);
    const problem = known ? new DatasetError(known.file, known.reason, known.pointer) : outsideRoot(imagePath, real);
    const annotationsFile: SourceFile = { role: 'annotations', absolute: json, path: `${basename(json)}#${pointer}`, content };
    return {
      format: 'coco',
      key: `${split}/${String(image.id).padStart(16, '0')}`,
      id: String(image.id),
      split,
      files: unsafeFileName(image.file_name)
        ? [annotationsFile]
        : [{ role: 'image', absolute: imagePath, path: posixPath(relative(imagesRoot, imagePath)) }, annotationsFile],
      coco: { image, annotations: own, imagePath, annotationsFile: json, pointer },
      ...(problem ? { problem } : {}),
    };
  });
  items.sort((a, b) => compare(a.key, b.key));
  return { format: 'coco', root: imagesRoot, json, imageFolder: '', categories: ds.categories, items };
}

/** The first of a COCO json's dataset-level problems as an error, saying how many more there are. */
function datasetProblem(problems: readonly CocoProblem[]): DatasetError {
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: nightshift validate lists them all)` : '';
  return new DatasetError(first.file, `${first.reason}${more}`, first.pointer);
}

export function hashSourceFile(file: SourceFile): string {
  return file.content !== undefined ? sha256(file.content) : sha256File(file.absolute);
}

/** 1 where `values` equals `value`. */
export function valueMask(values: Uint16Array, value: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = values[i] === value ? 1 : 0;
  return mask;
}

export const cityscapesReader: DatasetReader<CityscapesItem, DecodedCityscapes> = {
  format: 'cityscapes',
  async decode(item) {
    const sample = await readCityscapesSample(item.frame);
    const rgb = await readImageRgb(item.frame.imagePath);
    if (rgb.width !== sample.width || rgb.height !== sample.height) {
      throw new DatasetError(item.frame.imagePath, `image is ${rgb.width}x${rgb.height} but its labels are ${sample.width}x${sample.height}`);
    }
    const { semantic, instances } = sample;
    return {
      item, width: sample.width, height: sample.height, rgb, objects: sample.objects, semantic, instances,
      objectMask: (instanceId) => valueMask(instances, instanceId),
      checked: { labels: { width: sample.width, height: sample.height, semantic, instances }, sourceIdOf: (value) => value },
    };
  },
};

export const cocoReader: DatasetReader<CocoItem, DecodedCoco> = {
  format: 'coco',
  decode: decodeCoco,
};

export function decodeSample(item: SourceItem, categories: readonly CocoCategory[] = []): Promise<DecodedSample> {
  return item.format === 'cityscapes' ? cityscapesReader.decode(item, categories) : cocoReader.decode(item, categories);
}

async function decodeCoco(item: CocoItem, categories: readonly CocoCategory[]): Promise<DecodedCoco> {
  const { coco } = item;
  const rgb = await readImageRgb(coco.imagePath);
  if (rgb.width !== coco.image.width || rgb.height !== coco.image.height) {
    throw new DatasetError(coco.imagePath, `image is ${rgb.width}x${rgb.height} but its COCO entry says ${coco.image.width}x${coco.image.height}`);
  }
  const categoryNames = new Map(categories.map((c) => [c.id, c.name]));
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
    checked: cocoChecked(coco, categories),
  };
}

/** A COCO sample as the checks see it: its annotations drawn as Cityscapes label maps. */
function cocoChecked(coco: CocoItem['coco'], categories: readonly CocoCategory[]): DecodedSample['checked'] {
  const json = coco.annotationsFile;
  const maps = cocoLabelMaps(coco.image, coco.annotations, categories, { file: json, pointer: coco.pointer });
  // A crowd region is a group: several crowds of one class share its value, which stands for the largest.
  const sourceIds = new Map<number, number>();
  for (const [annotationId, value] of maps.valueOf) if (!sourceIds.has(value)) sourceIds.set(value, annotationId);
  return { labels: maps, sourceIdOf: (value) => sourceIds.get(value) ?? value };
}

/** COCO output file name of a translated image: PNG, under the source's relative name. */
export function cocoOutputFileName(item: SourceItem): string {
  if (item.format === 'cityscapes') return basename(item.frame.imagePath);
  const name = item.coco.image.file_name.split('\\').join('/');
  return extname(name).toLowerCase() === '.png' ? name : `${name.slice(0, name.length - extname(name).length)}.png`;
}
