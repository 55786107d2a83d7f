// Reading and checking a COCO instances json and iterating its images as samples.

import { readFile, lstat, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, win32 } from 'node:path';
import { DatasetError } from '../errors.ts';
import { isPathInside } from '../paths.ts';
import type { CocoSample, SampleObject } from '../sample.ts';
import { assertCocoSchema } from './schema.ts';
import { annotationToRle, rleArea, rleDecode, rlePixelTotal, rleToBbox, type Rle } from './rle.ts';
import type { CocoAnnotation, CocoCategory, CocoDataset, CocoImage, CocoProblem, CocoRleJson } from './types.ts';

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/** JSON.parse that names the file and the line/column of a syntax error. */
export function parseJsonFile(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const match = /at position (\d+)/.exec(message);
    const position = match ? Number(match[1]) : body.length;
    const { line, column } = lineAndColumn(body, position);
    throw new DatasetError(file, `invalid JSON at line ${line}, column ${column} (offset ${position}): ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

/** Reads, parses and schema-checks a COCO instances json. Throws DatasetError on any failure. */
export async function readCocoDataset(jsonPath: string): Promise<CocoDataset> {
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (e) {
    throw new DatasetError(jsonPath, `cannot read: ${(e as Error).message}`);
  }
  const data = parseJsonFile(text, jsonPath);
  assertCocoSchema(data, jsonPath);
  return data;
}

const escapePointer = (key: string | number): string => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (...keys: (string | number)[]): string => keys.map((k) => `/${escapePointer(k)}`).join('');

/** Why a file_name may not be used as a path below the images root, or undefined when it is fine. */
export function unsafeFileName(fileName: string): string | undefined {
  if (isAbsolute(fileName) || posix.isAbsolute(fileName) || win32.isAbsolute(fileName)) return `file_name ${JSON.stringify(fileName)} is an absolute path`;
  if (fileName.split(/[\\/]/).includes('..')) return `file_name ${JSON.stringify(fileName)} climbs out of the images folder with ".."`;
  if (fileName.includes('\0')) return 'file_name contains a NUL character';
  return undefined;
}

type AddProblem = (pointer: string, reason: string) => void;

function checkPolygons(rings: number[][], image: CocoImage, at: string, add: AddProblem): void {
  if (rings.length === 0) add(at, 'polygon segmentation has no ring');
  rings.forEach((ring, j) => {
    if (ring.length % 2 !== 0) add(`${at}${pointer(j)}`, `polygon has an odd number of coordinates (${ring.length})`);
    if (ring.length < 6) {
      add(`${at}${pointer(j)}`, `polygon has ${Math.floor(ring.length / 2)} point(s), fewer than 3`);
      return;
    }
    for (let i = 0; i + 1 < ring.length; i += 2) {
      const x = ring[i];
      const y = ring[i + 1];
      if (x < 0 || y < 0 || x > image.width || y > image.height) {
        add(`${at}${pointer(j, i)}`, `polygon point (${x}, ${y}) is outside the ${image.width}x${image.height} image`);
        return;
      }
    }
  });
}

function checkRle(segm: CocoRleJson, image: CocoImage, at: string, add: AddProblem): void {
  const [h, w] = segm.size;
  if (h !== image.height || w !== image.width) {
    add(`${at}/size`, `RLE size [${h}, ${w}] differs from the image's [height, width] [${image.height}, ${image.width}]`);
  }
  let rle: Rle;
  try {
    rle = annotationToRle(segm, h, w);
  } catch (e) {
    add(`${at}/counts`, (e as Error).message);
    return;
  }
  const total = rlePixelTotal(rle);
  if (total !== h * w) add(`${at}/counts`, `RLE counts sum to ${total}, not ${h}x${w} = ${h * w}`);
}

async function checkImageFile(root: string, realRoot: string, image: CocoImage, at: string, add: AddProblem): Promise<void> {
  const path = join(root, image.file_name);
  try {
    await lstat(path);
  } catch {
    add(`${at}/file_name`, `image file ${path} does not exist`);
    return;
  }
  let resolved: string;
  try {
    resolved = await realpath(path);
  } catch {
    add(`${at}/file_name`, `image file ${path} is a broken symlink`);
    return;
  }
  if (!isPathInside(resolved, realRoot)) {
    add(`${at}/file_name`, `image file ${path} resolves to ${resolved}, outside the images folder ${realRoot}`);
    return;
  }
  if (!(await stat(resolved)).isFile()) add(`${at}/file_name`, `image path ${path} is not a regular file`);
}

/**
 * Cross-checks a schema-valid dataset and returns every problem found (never throws for bad data):
 * duplicate ids, dangling image or category references, segmentations outside their image, RLE
 * sizes that differ from the image, degenerate polygons, unsafe file names and, when imagesRoot is
 * given, missing image files and symlinks that leave imagesRoot.
 */
export async function validateCocoDataset(ds: CocoDataset, jsonPath: string, imagesRoot?: string): Promise<CocoProblem[]> {
  const problems: CocoProblem[] = [];
  const add = (p: string, reason: string): void => {
    problems.push({ file: jsonPath, pointer: p, reason });
  };
  const addFor = (imageId: number): AddProblem => (p, reason) => {
    problems.push({ file: jsonPath, pointer: p, reason, imageId });
  };

  const images = new Map<number, { image: CocoImage; index: number }>();
  ds.images.forEach((image, i) => {
    const first = images.get(image.id);
    if (first) add(pointer('images', i, 'id'), `duplicate image id ${image.id} (first at ${pointer('images', first.index)})`);
    else images.set(image.id, { image, index: i });
    const unsafe = unsafeFileName(image.file_name);
    if (unsafe) addFor(image.id)(pointer('images', i, 'file_name'), unsafe);
  });

  const categories = new Map<number, number>();
  ds.categories.forEach((category, i) => {
    const first = categories.get(category.id);
    if (first !== undefined) add(pointer('categories', i, 'id'), `duplicate category id ${category.id} (first at ${pointer('categories', first)})`);
    else categories.set(category.id, i);
  });

  const annotationIds = new Map<number, number>();
  ds.annotations.forEach((ann, i) => {
    const first = annotationIds.get(ann.id);
    if (first !== undefined) add(pointer('annotations', i, 'id'), `duplicate annotation id ${ann.id} (first at ${pointer('annotations', first)})`);
    else annotationIds.set(ann.id, i);
    if (!categories.has(ann.category_id)) add(pointer('annotations', i, 'category_id'), `unknown category id ${ann.category_id}`);
    const entry = images.get(ann.image_id);
    if (!entry) {
      add(pointer('annotations', i, 'image_id'), `annotation refers to image id ${ann.image_id}, which is not in images`);
      return;
    }
    const at = pointer('annotations', i, 'segmentation');
    if (Array.isArray(ann.segmentation)) checkPolygons(ann.segmentation, entry.image, at, addFor(entry.image.id));
    else checkRle(ann.segmentation, entry.image, at, addFor(entry.image.id));
  });

  if (imagesRoot !== undefined) {
    let realRoot: string;
    try {
      realRoot = await realpath(imagesRoot);
    } catch {
      problems.push({ file: imagesRoot, reason: 'images folder does not exist' });
      return problems;
    }
    for (let i = 0; i < ds.images.length; i++) {
      const image = ds.images[i];
      if (unsafeFileName(image.file_name)) continue;
      await checkImageFile(imagesRoot, realRoot, image, pointer('images', i), addFor(image.id));
    }
  }
  return problems;
}

/** The object mask of an annotation, row-major 0/1, height x width. */
export function annotationMask(ann: Pick<CocoAnnotation, 'segmentation'>, height: number, width: number): Uint8Array {
  const rle = annotationToRle(ann.segmentation, height, width);
  if (rle.height !== height || rle.width !== width) {
    throw new RangeError(`segmentation is ${rle.height}x${rle.width}, expected ${height}x${width}`);
  }
  return rleDecode(rle);
}

function objectOf(ann: CocoAnnotation, image: CocoImage, category: CocoCategory | undefined, file: string, at: string): SampleObject {
  let rle: Rle;
  try {
    rle = annotationToRle(ann.segmentation, image.height, image.width);
    if (rle.height !== image.height || rle.width !== image.width) {
      throw new RangeError(`RLE size [${rle.height}, ${rle.width}] differs from the image's [${image.height}, ${image.width}]`);
    }
  } catch (e) {
    throw new DatasetError(file, (e as Error).message, `${at}/segmentation`);
  }
  if (!category) throw new DatasetError(file, `unknown category id ${ann.category_id}`, `${at}/category_id`);
  return {
    instanceId: ann.id,
    labelId: ann.category_id,
    name: category.name,
    bbox: rleToBbox(rle),
    area: ann.area,
    pixelCount: rleArea(rle),
    iscrowd: ann.iscrowd === 1,
  };
}

/**
 * One CocoSample per image, in the order of `images`, with the annotations of that image in file
 * order. Throws DatasetError (naming `jsonPath` and the pointer) for an unsafe file_name, an unknown
 * category or an undecodable segmentation; run validateCocoDataset first for a full report.
 */
export function* cocoSamples(ds: CocoDataset, imagesRoot: string, jsonPath = '<coco dataset>'): Generator<CocoSample> {
  const categories = new Map(ds.categories.map((c) => [c.id, c]));
  const byImage = new Map<number, number[]>();
  ds.annotations.forEach((ann, i) => {
    const list = byImage.get(ann.image_id);
    if (list) list.push(i);
    else byImage.set(ann.image_id, [i]);
  });
  for (let i = 0; i < ds.images.length; i++) {
    const image = ds.images[i];
    const unsafe = unsafeFileName(image.file_name);
    if (unsafe) throw new DatasetError(jsonPath, unsafe, pointer('images', i, 'file_name'));
    const indices = byImage.get(image.id) ?? [];
    const annotations = indices.map((k) => ds.annotations[k]);
    const objects = indices.map((k) => objectOf(ds.annotations[k], image, categories.get(ds.annotations[k].category_id), jsonPath, pointer('annotations', k)));
    yield {
      format: 'coco',
      id: String(image.id),
      imageId: image.id,
      imagePath: join(imagesRoot, image.file_name),
      width: image.width,
      height: image.height,
      image,
      annotations,
      objects,
    };
  }
}
