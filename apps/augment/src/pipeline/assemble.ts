// The top-level files of a build, assembled from the per-sample records in sorted order, so that
// they depend only on the records and not on the order or the number of runs that produced them.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cocoDatasetToJson, writeFileAtomic, type CocoAnnotation, type CocoCategory, type CocoDataset, type CocoImage } from '@nightshift/labels';
import type { SampleState } from './record.ts';
import { readAllStates, removeSampleState, sweepUnlisted } from './state.ts';
import { CITYSCAPES_FOLDER, COCO_FOLDER } from './write-sample.ts';

export const MANIFEST_FILE = 'manifest.jsonl';
export const TIMINGS_FILE = 'timings.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const REPORT_FILE = 'report.html';

export const manifestText = (states: readonly SampleState[]): string =>
  states.map((s) => `${JSON.stringify(s.manifest)}\n`).join('');

export const timingsText = (states: readonly SampleState[]): string =>
  states.map((s) => `${JSON.stringify({ sample: s.manifest.sample, ms: s.timings })}\n`).join('');

/** One COCO dataset per split: images in sample order with ids from 1, annotations likewise. */
export function cocoDatasets(states: readonly SampleState[], categories: readonly CocoCategory[]): Map<string, CocoDataset> {
  const bySplit = new Map<string, CocoDataset>();
  for (const state of states) {
    const part = state.coco;
    if (!part || state.manifest.status !== 'written') continue;
    let ds = bySplit.get(part.split);
    if (!ds) {
      ds = { images: [], annotations: [], categories: categories.map((c) => ({ ...c })) };
      bySplit.set(part.split, ds);
    }
    const image = { id: ds.images.length + 1, ...part.image } as CocoImage;
    ds.images.push(image);
    for (const a of part.annotations) {
      ds.annotations.push({ id: ds.annotations.length + 1, image_id: image.id, ...a } as CocoAnnotation);
    }
  }
  return new Map([...bySplit.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const cocoJsonPath = (split: string): string => `${COCO_FOLDER}/annotations/instances_${split}.json`;

/** Writes the COCO jsons; returns the files written (relative). */
export function writeCocoJsons(output: string, states: readonly SampleState[], categories: readonly CocoCategory[] | undefined): string[] {
  const written: string[] = [];
  if (categories) {
    for (const [split, ds] of cocoDatasets(states, categories)) {
      const rel = cocoJsonPath(split);
      mkdirSync(join(output, COCO_FOLDER, 'annotations'), { recursive: true });
      writeFileAtomic(join(output, ...rel.split('/')), cocoDatasetToJson(ds));
      written.push(rel);
    }
  }
  return written;
}

/**
 * manifest.jsonl marks a complete build: a run withdraws it before it changes any dataset file and
 * writes it last, so a folder with a manifest holds exactly the files the manifest lists.
 */
export function withdrawManifest(output: string): void {
  rmSync(join(output, MANIFEST_FILE), { force: true });
}

/** Writes timings.jsonl, then manifest.jsonl. */
export function writeManifest(output: string, states: readonly SampleState[]): void {
  writeFileAtomic(join(output, TIMINGS_FILE), timingsText(states));
  writeFileAtomic(join(output, MANIFEST_FILE), manifestText(states));
}

/**
 * Drops records of samples no longer in the build, writes the COCO jsons, removes dataset files
 * nothing accounts for, and writes the manifest last. Returns the records, sorted.
 */
export function assembleBuild(output: string, keys: ReadonlySet<string> | undefined, categories: CocoCategory[] | undefined): SampleState[] {
  let states = readAllStates(output);
  if (keys) {
    for (const s of states) if (!keys.has(s.manifest.sample)) removeSampleState(output, s.manifest.sample);
    states = states.filter((s) => keys.has(s.manifest.sample));
  }
  const cocoJsons = writeCocoJsons(output, states, categories);
  const keep = new Set([...cocoJsons, ...states.flatMap((s) => s.manifest.outputs.map((o) => o.path))]);
  sweepUnlisted(output, [CITYSCAPES_FOLDER, COCO_FOLDER], keep);
  writeManifest(output, states);
  return states;
}
