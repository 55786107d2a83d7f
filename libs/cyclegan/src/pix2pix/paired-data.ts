/**
 * Paired training data as the reference's AlignedDataset: either two folders `A/` and `B/` under the
 * pairs folder whose files pair up by relative path, or one folder of side-by-side AB images (A the
 * left half, B the right half, split at int(w / 2)). A and B of a pair get the same resize, crop and
 * flip (one get_params per pair). Each epoch walks a seeded shuffle of the pairs; the state can be
 * saved and restored like UnpairedData's.
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import {
  decodeRgb, drawTransformParams, listImages, preprocessRgb, type DecodedRgb, type PreprocessOptions, type TrainingImage,
  type TransformParams, type UnpairedDataState,
} from '../train/data.ts';
import { EpochCursor } from '../train/epoch-cursor.ts';
import type { RandomStream } from '../train/random-stream.ts';
import type { LoopBatch } from '../train/training-loop.ts';

export interface ImagePair {
  /** Relative name of the pair (the A file's path under A/, or the AB file's path). */
  readonly name: string;
  /** The A file, or the side-by-side AB file. */
  readonly a: string;
  /** The B file; undefined for a side-by-side AB image. */
  readonly b?: string;
}

export interface PairListing {
  readonly layout: 'A-B-folders' | 'side-by-side';
  readonly pairs: readonly ImagePair[];
  readonly skipped: readonly DatasetError[];
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** The pairs of `pairsDir`: A/ + B/ matched by relative path, otherwise side-by-side AB images. */
export async function listPairs(pairsDir: string): Promise<PairListing> {
  const dirA = join(pairsDir, 'A');
  const dirB = join(pairsDir, 'B');
  if ((await isDirectory(dirA)) || (await isDirectory(dirB))) {
    if (!(await isDirectory(dirA)) || !(await isDirectory(dirB))) {
      throw new DatasetError(pairsDir, 'has only one of the folders A/ and B/; paired data needs both (or side-by-side AB images and neither)');
    }
    const a = await listImages(dirA);
    const b = await listImages(dirB);
    const bByName = new Map(b.files.map((f) => [relative(dirB, f), f]));
    const aNames = new Set(a.files.map((f) => relative(dirA, f)));
    const pairs: ImagePair[] = [];
    const skipped = [...a.skipped, ...b.skipped];
    for (const file of a.files) {
      const name = relative(dirA, file);
      const partner = bByName.get(name);
      if (partner === undefined) skipped.push(new DatasetError(file, `has no partner ${join(dirB, name)}; pair skipped`));
      else pairs.push({ name, a: file, b: partner });
    }
    for (const [name, file] of bByName) {
      if (!aNames.has(name)) skipped.push(new DatasetError(file, `has no partner ${join(dirA, name)}; pair skipped`));
    }
    if (pairs.length === 0) throw new DatasetError(pairsDir, 'no file name appears in both A/ and B/');
    return { layout: 'A-B-folders', pairs, skipped };
  }
  const listing = await listImages(pairsDir);
  return { layout: 'side-by-side', pairs: listing.files.map((f) => ({ name: relative(pairsDir, f), a: f })), skipped: listing.skipped };
}

/** Left and right halves of a side-by-side image (aligned_dataset.py: w2 = int(w / 2)). */
export function splitSideBySide(ab: DecodedRgb, file: string): [DecodedRgb, DecodedRgb] {
  const w2 = Math.floor(ab.width / 2);
  if (w2 < 1) throw new DatasetError(file, `is ${ab.width} pixels wide; a side-by-side AB image needs at least 2`);
  const half = (x0: number, w: number): DecodedRgb => {
    const out = new Uint8Array(w * ab.height * 3);
    for (let y = 0; y < ab.height; y++) out.set(ab.data.subarray((y * ab.width + x0) * 3, (y * ab.width + x0 + w) * 3), y * w * 3);
    return { width: w, height: ab.height, data: out };
  };
  return [half(0, w2), half(w2, ab.width - w2)];
}

/** Loads one pair with shared transform parameters. */
export async function loadPair(pair: ImagePair, params: TransformParams, o: PreprocessOptions): Promise<[TrainingImage, TrainingImage]> {
  const decode = async (file: string): Promise<DecodedRgb> => {
    try {
      return await decodeRgb(file);
    } catch (e) {
      throw new DatasetError(file, `cannot read the image (${(e as Error).message})`);
    }
  };
  if (pair.b === undefined) {
    const [a, b] = splitSideBySide(await decode(pair.a), pair.a);
    return [preprocessRgb(a, params, o, pair.a), preprocessRgb(b, params, o, pair.a)];
  }
  const [a, b] = await Promise.all([decode(pair.a), decode(pair.b)]);
  return [preprocessRgb(a, params, o, pair.a), preprocessRgb(b, params, o, pair.b)];
}

export interface PairedBatch extends LoopBatch {
  readonly names: readonly string[];
}

export interface PairedDataOptions extends PreprocessOptions {
  readonly batchSize: number;
  readonly firstEpoch: number;
}

export class PairedData {
  private readonly cursor: EpochCursor;

  constructor(
    readonly pairs: readonly ImagePair[],
    readonly options: PairedDataOptions,
    random: RandomStream,
  ) {
    if (pairs.length === 0) throw new RangeError('Paired data needs at least one pair');
    this.cursor = new EpochCursor(pairs.length, options.batchSize, options.firstEpoch, random);
  }

  get batchesPerEpoch(): number {
    return this.cursor.batchesPerEpoch;
  }

  state(): UnpairedDataState {
    return this.cursor.state();
  }

  restore(state: UnpairedDataState): void {
    this.cursor.restore(state, (saved) => `Saved data order has ${saved} pairs but the folder now gives ${this.pairs.length}; resume with the same pairs`);
  }

  /** The next batch; its random choices are drawn synchronously (prefetching keeps the sequence). */
  next(): Promise<PairedBatch> {
    const { picks, epoch, indexInEpoch, isLastOfEpoch } = this.cursor.take((index, random) => ({ pair: this.pairs[index], params: drawTransformParams(random, this.options) }));
    return this.load(picks, epoch, indexInEpoch, isLastOfEpoch);
  }

  private async load(picks: Array<{ pair: ImagePair; params: TransformParams }>, epoch: number, indexInEpoch: number, isLastOfEpoch: boolean): Promise<PairedBatch> {
    const loaded = await Promise.all(picks.map((p) => loadPair(p.pair, p.params, this.options)));
    const first = loaded[0][0];
    loaded.forEach(([a, b], i) => {
      for (const im of [a, b]) {
        if (im.width !== first.width || im.height !== first.height) {
          throw new DatasetError(picks[i].pair.a, `is ${im.width}x${im.height} after preprocessing but the batch's first image is ${first.width}x${first.height}; use a crop preprocess or batch size 1`);
        }
      }
    });
    const per = first.data.length;
    const stack = (k: 0 | 1): Float32Array => {
      const out = new Float32Array(per * loaded.length);
      loaded.forEach((pair, i) => out.set(pair[k].data, i * per));
      return out;
    };
    return {
      epoch, indexInEpoch, isLastOfEpoch,
      shape: [loaded.length, first.height, first.width, 3],
      a: stack(0),
      b: stack(1),
      names: picks.map((p) => p.pair.name),
    };
  }
}
