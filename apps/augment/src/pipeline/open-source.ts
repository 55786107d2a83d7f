// The input dataset of a build, from what the user passed or from a build's run.json.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BuildRequestError } from './errors.ts';
import { listCityscapesSource, listCocoSource, type SourceDataset } from './sources.ts';

export interface SourceRequest {
  format: 'cityscapes' | 'coco';
  /** Cityscapes root, or the COCO json. */
  path: string;
  /** COCO: the images folder. */
  imagesRoot?: string;
  /** Cityscapes: the image folder under the root. */
  imageFolder?: string;
  split?: string;
}

export async function openSource(req: SourceRequest): Promise<SourceDataset> {
  if (req.format === 'coco') return listCocoSource(req.path, req.imagesRoot!);
  const folder = req.imageFolder ?? 'leftImg8bit';
  if (!/^[^/\\]+$/.test(folder) || folder === '.' || folder === '..') throw new BuildRequestError(`--images ${folder}: for a Cityscapes input, give the name of an image folder under the root (e.g. leftImg8bit_night)`);
  const dir = join(req.path, folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BuildRequestError(`${dir}: no such image folder in the Cityscapes root`);
  return listCityscapesSource(req.path, folder, req.split);
}
