// Prediction PNGs matched to frames by Cityscapes name, as cityscapesScripts' getPrediction does: the
// one PNG under the folder (at any depth) whose name contains `<city>_<seq>_<frame>`. Whether they
// hold labelIds or trainIds is told from their values unless the user says.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DatasetError, predictionIdsFitting, predictionToLabelIds, readGrey8, type PredictionIds,
} from '@nightshift/labels';
import type { TruthFrame } from './truth.ts';

const FRAME_IN_NAME = /_(\d{6})_(\d{6})/g;

function pngsUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.toLowerCase().endsWith('.png')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The prediction file of every frame. Frames without one, and frames with more than one, throw a
 * DatasetError that names each of them.
 */
export function matchPredictions(dir: string, frames: readonly TruthFrame[]): Map<TruthFrame, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(dir, 'not a folder: --predictions is a folder of prediction PNGs');
  const byId = new Map<string, TruthFrame[]>();
  for (const f of frames) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
  const cities = new Set(frames.map((f) => f.city));
  const found = new Map<string, string[]>();
  for (const path of pngsUnder(dir)) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    for (const m of name.matchAll(FRAME_IN_NAME)) {
      const before = name.slice(0, m.index);
      for (const city of cities) {
        if (!before.endsWith(city)) continue;
        const id = `${city}${m[0]}`;
        if (byId.has(id)) found.set(id, [...(found.get(id) ?? []), path]);
      }
    }
  }
  const missing: string[] = [];
  const doubled: string[] = [];
  const out = new Map<TruthFrame, string>();
  for (const frame of frames) {
    const files = found.get(frame.id) ?? [];
    if (files.length === 0) missing.push(frame.id);
    else if (files.length > 1) doubled.push(`${frame.id} (${files.map((f) => relative(dir, f)).join(', ')})`);
    else out.set(frame, files[0]);
  }
  if (missing.length > 0) {
    throw new DatasetError(dir, `no prediction PNG for ${missing.length} frame${missing.length > 1 ? 's' : ''} (a file whose name contains the frame id): ${missing.join(', ')}`);
  }
  if (doubled.length > 0) throw new DatasetError(dir, `more than one prediction PNG for ${doubled.join('; ')}`);
  return out;
}

export interface PredictionIdsChoice {
  readonly ids: PredictionIds;
  readonly why: string;
}

/**
 * Which ids the prediction files hold: a file whose values fit only one kind decides; files that fit
 * neither throw naming the file and values; when every value of every file is within 0..18 (fits
 * both), trainIds (a labelIds prediction of street scenes would hold sky 23, car 26, ...).
 */
export async function detectPredictionIds(files: Iterable<string>): Promise<PredictionIdsChoice> {
  for (const file of files) {
    const image = await readGrey8(file);
    const fits = predictionIdsFitting(image.data);
    if (fits.length === 0) predictionToLabelIds(image.data, 'trainIds', file); // throws naming the values
    // One decisive file is enough: a later file of the other kind fails its own read, its values named.
    if (fits.length === 1) return { ids: fits[0], why: `${file} holds values only ${fits[0]} have` };
  }
  return { ids: 'trainIds', why: 'every value is within 0..18, read as trainIds (pass --prediction-ids labelIds if they are labelIds)' };
}

/** A prediction as labelIds at the truth's size; another size or ids outside the table throw naming the file. */
export async function readPrediction(file: string, ids: PredictionIds, width: number, height: number, truthFile: string): Promise<Uint8Array> {
  const image = await readGrey8(file);
  if (image.width !== width || image.height !== height) {
    throw new DatasetError(file, `prediction is ${image.width}x${image.height}, its ground truth ${truthFile} is ${width}x${height}; predictions must have the label's size`);
  }
  return predictionToLabelIds(image.data, ids, file);
}
