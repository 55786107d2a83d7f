// Synthetic samples written as a Cityscapes root: day images in leftImg8bit/, the true night render
// of the same scene in leftImg8bit_night/ (same file names), exact gtFine labels, and the night
// fault renders with their truth in faults/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  cityscapesImagePath, writeCityscapesLabels, writeFileAtomic, type FrameRef,
} from '@nightshift/labels';
import { synthesise, SYNTHETIC_CITY, type SynthesiseOptions } from './synthetic/synthesise.ts';

/** The folder, beside leftImg8bit/, that holds the true night renders under the same file names. */
export const NIGHT_IMAGE_FOLDER = 'leftImg8bit_night';
export const FAULTS_FOLDER = 'faults';

export interface SyntheticRootOptions extends SynthesiseOptions {
  split?: string;
  onSample?: (done: number, total: number, id: string) => void;
}

/** Path of a frame's true night render under a synthetic root. */
export function nightImagePath(root: string, ref: FrameRef): string {
  return join(root, NIGHT_IMAGE_FOLDER, ref.split, ref.city, `${ref.id}_leftImg8bit.png`);
}

/** Path of a frame's fault render (`erased` or `added`) and of the truth json beside it. */
export function faultPaths(root: string, ref: FrameRef, kind?: string): string {
  const folder = join(root, FAULTS_FOLDER, ref.split, ref.city);
  return kind ? join(folder, `${ref.id}_${kind}_leftImg8bit.png`) : join(folder, `${ref.id}_faults.json`);
}

function writeBytes(path: string, bytes: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileAtomic(path, bytes);
}

/** Generates `count` scenes and writes them under `root`; returns the frame ids written. */
export async function writeSyntheticCityscapes(root: string, options: SyntheticRootOptions): Promise<string[]> {
  const split = options.split ?? 'train';
  const ids: string[] = [];
  for await (const sample of synthesise(options)) {
    const ref: FrameRef = { split, city: SYNTHETIC_CITY, id: sample.id };
    writeBytes(cityscapesImagePath(root, ref), sample.day);
    writeBytes(nightImagePath(root, ref), sample.night);
    await writeCityscapesLabels(root, ref, sample.labels);
    if (sample.faults.length) {
      for (const fault of sample.faults) writeBytes(faultPaths(root, ref, fault.truth.kind), fault.night);
      const truth = sample.faults.map((f) => ({ ...f.truth, image: `${ref.id}_${f.truth.kind}_leftImg8bit.png` }));
      writeBytes(faultPaths(root, ref), `${JSON.stringify({ id: ref.id, seed: sample.seed, faults: truth }, null, 2)}\n`);
    }
    ids.push(sample.id);
    options.onSample?.(ids.length, options.count, sample.id);
  }
  return ids;
}
