// Where a dataset is and what format it has, from what the user gave on the command line.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error.ts';

export type DatasetFormat = 'cityscapes' | 'coco';

export interface DatasetInput {
  format: DatasetFormat;
  /** Cityscapes root folder, or COCO instances json. */
  path: string;
  /** COCO: the folder that image file_names are relative to. */
  imagesRoot?: string;
}

function guessFormat(path: string): DatasetFormat {
  if (statSync(path).isFile()) return 'coco';
  if (existsSync(join(path, 'leftImg8bit')) || existsSync(join(path, 'gtFine'))) return 'cityscapes';
  throw new UsageError(`${path}: cannot tell the dataset format (no leftImg8bit/ or gtFine/ folder, and not a json file); pass --format`);
}

/** The split a COCO instances json names: `instances_<split>.json`, else undefined. */
export function cocoSplitOf(jsonPath: string): string | undefined {
  return /^instances_(.+)\.json$/.exec(basename(jsonPath))?.[1];
}

/**
 * The images folder of a COCO json, by the usual layouts: `<root>/annotations/instances_<split>.json`
 * with images in `<root>/images/<split>`, `<root>/<split>` or `<root>/images`, else beside the json.
 */
function guessCocoImagesRoot(jsonPath: string): string {
  const split = cocoSplitOf(jsonPath);
  const annotationsDir = dirname(jsonPath);
  const root = basename(annotationsDir) === 'annotations' ? dirname(annotationsDir) : annotationsDir;
  const candidates = [
    ...(split ? [join(root, 'images', split), join(root, split)] : []),
    join(root, 'images'),
    annotationsDir,
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isDirectory()) ?? annotationsDir;
}

export function resolveDatasetInput(input: string, format?: DatasetFormat, images?: string): DatasetInput {
  const path = resolve(input);
  if (!existsSync(path)) throw new UsageError(`${input}: no such file or folder`);
  const chosen = format ?? guessFormat(path);
  if (chosen === 'coco') {
    if (!statSync(path).isFile()) throw new UsageError(`${input}: a COCO input is an instances json file, not a folder`);
    return { format: chosen, path, imagesRoot: images ? resolve(images) : guessCocoImagesRoot(path) };
  }
  if (!statSync(path).isDirectory()) throw new UsageError(`${input}: a Cityscapes input is a root folder (with leftImg8bit/ and gtFine/)`);
  return { format: chosen, path };
}
