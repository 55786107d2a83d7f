// Cityscapes file naming (cityscapesScripts README): {root}/{type}/{split}/{city}/{city}_{seq}_{frame}_{type}{ext}.
import { join } from 'node:path';
import { DatasetError } from '../errors.ts';

/** The gtFine files of one frame. */
export type GtFineKind = 'labelIds' | 'instanceIds' | 'color' | 'labelTrainIds' | 'polygons';
export const GT_FINE_KINDS: readonly GtFineKind[] = Object.freeze(['labelIds', 'instanceIds', 'color', 'labelTrainIds', 'polygons']);

/** Where one frame lives: enough to build every one of its paths under a root. */
export interface FrameRef {
  split: string;
  city: string;
  /** `<city>_<seq>_<frame>`. */
  id: string;
}

export interface ParsedCityscapesPath extends FrameRef {
  /** 'leftImg8bit' for the image, otherwise the gtFine file kind. */
  kind: 'leftImg8bit' | GtFineKind;
  seq: string;
  frame: string;
}

const FRAME_ID = /^(.+)_(\d{6})_(\d{6})$/;
const FILE_NAME = /^(.+)_(\d{6})_(\d{6})_(leftImg8bit\.png|gtFine_(?:labelIds|instanceIds|color|labelTrainIds)\.png|gtFine_polygons\.json)$/;
const SAFE_SEGMENT = /^[^/\\]+$/;

/** Splits a frame id `<city>_<seq>_<frame>` into its parts, or throws naming `file`. */
export function parseFrameId(id: string, file = id): { city: string; seq: string; frame: string } {
  const m = FRAME_ID.exec(id);
  if (!m) throw new DatasetError(file, `frame id '${id}' is not <city>_<seq:6 digits>_<frame:6 digits>`);
  return { city: m[1], seq: m[2], frame: m[3] };
}

/**
 * Parses a Cityscapes image or gtFine path (absolute, or relative to the root). The last four
 * segments must be `<leftImg8bit|gtFine>/<split>/<city>/<file name>`, and the file name's city must
 * be its folder's.
 */
export function parseCityscapesPath(path: string): ParsedCityscapesPath {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  if (parts.length < 4) {
    throw new DatasetError(path, 'not a Cityscapes path: expected <leftImg8bit|gtFine>/<split>/<city>/<city>_<seq>_<frame>_<type>.<ext>');
  }
  const [folder, split, city, name] = parts.slice(-4);
  const m = FILE_NAME.exec(name);
  if (!m) {
    throw new DatasetError(
      path,
      `file name '${name}' is not <city>_<seq:6 digits>_<frame:6 digits>_<type>, with type leftImg8bit.png or ` +
        'gtFine_{labelIds,instanceIds,color,labelTrainIds}.png or gtFine_polygons.json',
    );
  }
  const [, fileCity, seq, frame, suffix] = m;
  const kind = suffix === 'leftImg8bit.png' ? 'leftImg8bit' : (suffix.slice('gtFine_'.length).replace(/\.(png|json)$/, '') as GtFineKind);
  const expectedFolder = kind === 'leftImg8bit' ? 'leftImg8bit' : 'gtFine';
  if (folder !== expectedFolder) throw new DatasetError(path, `a ${suffix} file must be under ${expectedFolder}/<split>/<city>/, not ${folder}/`);
  if (fileCity !== city) throw new DatasetError(path, `file name city '${fileCity}' does not match its folder '${city}'`);
  return { kind, split, city, id: `${fileCity}_${seq}_${frame}`, seq, frame };
}

function checkRef(ref: FrameRef): void {
  for (const [what, value] of [['split', ref.split], ['city', ref.city]] as const) {
    if (!SAFE_SEGMENT.test(value) || value === '.' || value === '..') throw new DatasetError(ref.id, `invalid ${what} '${value}'`);
  }
  const { city } = parseFrameId(ref.id);
  if (city !== ref.city) throw new DatasetError(ref.id, `frame id city '${city}' does not match city '${ref.city}'`);
}

/** `{root}/leftImg8bit/{split}/{city}/{id}_leftImg8bit.png` */
export function cityscapesImagePath(root: string, ref: FrameRef): string {
  checkRef(ref);
  return join(root, 'leftImg8bit', ref.split, ref.city, `${ref.id}_leftImg8bit.png`);
}

/** `{root}/gtFine/{split}/{city}/{id}_gtFine_{kind}.png` (`_polygons.json` for polygons). */
export function cityscapesLabelPath(root: string, ref: FrameRef, kind: GtFineKind): string {
  checkRef(ref);
  const file = kind === 'polygons' ? `${ref.id}_gtFine_polygons.json` : `${ref.id}_gtFine_${kind}.png`;
  return join(root, 'gtFine', ref.split, ref.city, file);
}

