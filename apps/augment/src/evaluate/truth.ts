// The ground truth of an evaluation: the frames of a Cityscapes root (every gtFine labelIds file), or
// of a nightshift build's Cityscapes output, whose flagged regions count as void (the regions the
// build's ignore policy marks, whatever policy it was built with).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  DatasetError, cityscapesFrame, parseCityscapesPath, readGrey16, readGrey8, type FrameRef,
} from '@nightshift/labels';
import type { Flag } from '../pipeline/checks.ts';
import { MANIFEST_FILE, SUMMARY_FILE } from '../pipeline/assemble.ts';
import { applyCityscapesPolicy } from '../pipeline/policy.ts';
import { readManifest } from '../pipeline/report.ts';
import { valueMask } from '../pipeline/sources.ts';
import { readSummary, type BuildSummary } from '../pipeline/summary.ts';
import { CITYSCAPES_FOLDER } from '../pipeline/write-sample.ts';

export interface TruthFrame extends FrameRef {
  readonly labelIdsPath: string;
  readonly instanceIdsPath: string;
  /** The frame's image (leftImg8bit, or the build's image folder); not checked to exist. */
  readonly imagePath: string;
  /** The checks' flags on this frame (a build's frames only). */
  readonly flags: readonly Flag[];
}

export interface TruthSet {
  /** What --dataset named: a Cityscapes root or a nightshift build. */
  readonly kind: 'cityscapes' | 'build';
  /** The Cityscapes root the labels are read from. */
  readonly root: string;
  readonly frames: readonly TruthFrame[];
  /** A build's summary (kind 'build'). */
  readonly build?: BuildSummary;
}

export interface TruthLabels {
  readonly width: number;
  readonly height: number;
  readonly truth: Uint8Array;
  readonly instances: Uint16Array;
  /** Pixels that flagged regions turned void (0 unless flags were applied). */
  readonly flaggedPixels: number;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const isBuild = (dataset: string): boolean => existsSync(join(dataset, SUMMARY_FILE)) && existsSync(join(dataset, MANIFEST_FILE));

function subfolders(path: string): string[] {
  return readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort(compare);
}

/** Frames with a gtFine labelIds file, and the frames of leftImg8bit/ that lack one (every one of them an error). */
function listLabelled(root: string, split: string | undefined, imageFolder: string): FrameRef[] {
  const gtFine = join(root, 'gtFine');
  const images = join(root, imageFolder);
  if (!existsSync(gtFine) || !statSync(gtFine).isDirectory()) {
    throw new DatasetError(root, 'has no gtFine/ folder: evaluate needs the ground truth gtFine/<split>/<city>/<frame>_gtFine_labelIds.png (and _instanceIds.png)');
  }
  const splits = (folder: string): string[] => {
    if (!existsSync(folder)) return [];
    const present = subfolders(folder);
    if (split === undefined) return present;
    return present.includes(split) ? [split] : [];
  };
  const frames = new Map<string, FrameRef>();
  for (const s of splits(gtFine)) {
    for (const city of subfolders(join(gtFine, s))) {
      for (const name of readdirSync(join(gtFine, s, city)).sort(compare)) {
        if (!name.endsWith('_gtFine_labelIds.png')) continue;
        const ref = parseCityscapesPath(join(gtFine, s, city, name));
        frames.set(`${ref.split}/${ref.id}`, { split: ref.split, city: ref.city, id: ref.id });
      }
    }
  }
  const unlabelled: string[] = [];
  for (const s of splits(images)) {
    for (const city of subfolders(join(images, s))) {
      for (const name of readdirSync(join(images, s, city)).sort(compare)) {
        if (!name.endsWith('_leftImg8bit.png')) continue;
        const id = name.slice(0, -'_leftImg8bit.png'.length);
        if (!frames.has(`${s}/${id}`)) unlabelled.push(join('gtFine', s, city, `${id}_gtFine_labelIds.png`));
      }
    }
  }
  if (unlabelled.length > 0) {
    throw new DatasetError(root, `${unlabelled.length} frame${unlabelled.length > 1 ? 's have' : ' has'} an image but no ground truth: ${unlabelled.slice(0, 10).join(', ')}${unlabelled.length > 10 ? ', ...' : ''}`);
  }
  if (frames.size === 0) {
    throw new DatasetError(split ? join(gtFine, split) : gtFine, 'holds no ground truth (no <split>/<city>/<frame>_gtFine_labelIds.png)');
  }
  return [...frames.values()].sort((a, b) => compare(`${a.split}/${a.id}`, `${b.split}/${b.id}`));
}

function withFiles(root: string, refs: FrameRef[], imageRoot: string, imageFolder: string, flagsOf: (ref: FrameRef) => readonly Flag[]): TruthFrame[] {
  const frames = refs.map((ref): TruthFrame => {
    const paths = cityscapesFrame(root, ref);
    return {
      ...ref, labelIdsPath: paths.labelIdsPath, instanceIdsPath: paths.instanceIdsPath,
      imagePath: join(imageRoot, imageFolder, ref.split, ref.city, `${ref.id}_leftImg8bit.png`), flags: flagsOf(ref),
    };
  });
  const missing = frames.filter((f) => !existsSync(f.instanceIdsPath)).map((f) => f.instanceIdsPath);
  if (missing.length > 0) {
    throw new DatasetError(missing[0], `missing (the instance ids iIoU needs)${missing.length > 1 ? `; ${missing.length - 1} more frames lack theirs too` : ''}`);
  }
  return frames;
}

/** Flags per `<split>/<id>` of a build's written samples. */
function buildFlags(build: string): Map<string, readonly Flag[]> {
  return new Map(readManifest(build).filter((r) => r.status === 'written').map((r) => [`${r.split}/${r.id}`, r.flags]));
}

/**
 * The frames of `dataset`: a Cityscapes root, or a nightshift build (its cityscapes/ output, with the
 * flags of its manifest). A dataset without ground truth throws a DatasetError naming it.
 */
export function listTruth(dataset: string, split?: string): TruthSet {
  if (!existsSync(dataset) || !statSync(dataset).isDirectory()) throw new DatasetError(dataset, 'not a folder: --dataset is a Cityscapes root or a nightshift build');
  if (!isBuild(dataset)) {
    const refs = listLabelled(dataset, split, 'leftImg8bit');
    return { kind: 'cityscapes', root: dataset, frames: withFiles(dataset, refs, dataset, 'leftImg8bit', () => []) };
  }
  const summary = readSummary(dataset);
  const root = join(dataset, CITYSCAPES_FOLDER);
  if (!existsSync(root)) throw new DatasetError(dataset, `build has no ${CITYSCAPES_FOLDER}/ output (built with --output-format coco): evaluate reads Cityscapes labels`);
  const flags = buildFlags(dataset);
  const refs = listLabelled(root, split, 'leftImg8bit');
  return { kind: 'build', root, build: summary, frames: withFiles(root, refs, root, 'leftImg8bit', (ref) => flags.get(`${ref.split}/${ref.id}`) ?? []) };
}

/**
 * The source frames of a build (its input root and image folder), restricted to the frames it wrote,
 * each with the build's flags: the day side of --compare.
 */
export function buildSourceTruth(build: string, split?: string): { source: TruthSet; twin: TruthSet } {
  const twin = listTruth(build, split);
  if (twin.kind !== 'build') throw new DatasetError(build, 'not a nightshift build (no summary.json and manifest.jsonl): --compare takes the folder nightshift night|day wrote');
  const summary = twin.build!;
  if (summary.input.format !== 'cityscapes') throw new DatasetError(build, `was built from a ${summary.input.format} input; --compare needs a Cityscapes input, whose gtFine labels both sides share`);
  const root = summary.input.root;
  if (!existsSync(root)) throw new DatasetError(join(build, SUMMARY_FILE), `its input ${root} is gone: --compare reads the source images from there`);
  const imageFolder = summary.input.imageFolder ?? 'leftImg8bit';
  const refs = twin.frames.map(({ split: s, city, id }) => ({ split: s, city, id }));
  for (const ref of refs) {
    const labels = cityscapesFrame(root, ref).labelIdsPath;
    if (!existsSync(labels)) throw new DatasetError(labels, `missing: the build wrote frame ${ref.id}, but its source has no ground truth for it`);
  }
  const byKey = new Map(twin.frames.map((f) => [`${f.split}/${f.id}`, f.flags]));
  const frames = withFiles(root, refs, root, imageFolder, (ref) => byKey.get(`${ref.split}/${ref.id}`) ?? []);
  return { source: { kind: 'cityscapes', root, frames }, twin: { ...twin, frames: twin.frames.map((f, i) => ({ ...f, labelIdsPath: frames[i].labelIdsPath, instanceIdsPath: frames[i].instanceIdsPath })) } };
}

/** A frame's labelIds and instanceIds, as the files hold them. */
export async function readTruth(frame: TruthFrame): Promise<TruthLabels> {
  const labels = await readGrey8(frame.labelIdsPath);
  const instances = await readGrey16(frame.instanceIdsPath);
  if (instances.width !== labels.width || instances.height !== labels.height) {
    throw new DatasetError(frame.instanceIdsPath, `is ${instances.width}x${instances.height}, its labelIds ${frame.labelIdsPath} ${labels.width}x${labels.height}`);
  }
  return { width: labels.width, height: labels.height, truth: labels.data, instances: instances.data, flaggedPixels: 0 };
}

/** The labels with the frame's flagged regions void (labelId 0, no instance), exactly as the build's ignore policy writes them. */
export function voidFlaggedRegions(frame: TruthFrame, labels: TruthLabels): TruthLabels {
  if (frame.flags.length === 0) return labels;
  const { width, height, truth, instances } = labels;
  const policy = applyCityscapesPolicy(
    { width, height, semantic: truth, instances, objectMask: (instanceId) => valueMask(instances, instanceId) }, frame.flags, 'ignore',
  );
  if (!policy.labels) return labels;
  const flaggedPixels = policy.actions.reduce((n, a) => n + (a.pixels ?? 0), 0);
  return { width, height, truth: policy.labels.semantic, instances: policy.labels.instances, flaggedPixels };
}
