// The last stage for one sample: encode the translated image, write it and the labels in each output
// format (every file atomically), and return what was written for the manifest.
import { linkSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import sharp from 'sharp';
import {
  atomicTempPath, cityscapesImagePath, cityscapesLabelPath, cityscapesSampleToCoco, copyFileAtomic, writeCityscapesLabels, writeFileAtomic,
  type CityscapesSample, type CocoAnnotation, type FrameRef, type GtFineKind,
} from '@nightshift/labels';
import type { Flag } from './checks.ts';
import type { RgbImage } from '@nightshift/cyclegan';
import { sha256, sha256File } from './hash.ts';
import type { DatasetFormat, FlagPolicy } from './options.ts';
import { applyCityscapesPolicy, cocoFlagFields } from './policy.ts';
import type { CocoPart, FileRecord, FlagAction, OutputRecord } from './record.ts';
import { cocoOutputFileName, type DecodedSample } from './sources.ts';

export const CITYSCAPES_FOLDER = 'cityscapes';
export const COCO_FOLDER = 'coco';

export interface WriteContext {
  output: string;
  formats: readonly DatasetFormat[];
  policy: FlagPolicy;
}

export interface WrittenSample {
  status: 'written' | 'dropped';
  outputs: OutputRecord[];
  actions: FlagAction[];
  coco?: CocoPart;
}

const posixRelative = (from: string, to: string): string => relative(from, to).split(sep).join('/');

/** The same encoder settings as @nightshift/labels' writeRgb, kept here to hash the bytes once. */
async function encodePng(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).toColourspace('srgb').png().toBuffer();
}

/** A second name for a file just written (a hard link, atomically; a copy where links fail). */
function linkOrCopy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const temp = atomicTempPath(to);
  try {
    linkSync(from, temp);
    renameSync(temp, to);
  } catch {
    try { unlinkSync(temp); } catch { /* not created */ }
    copyFileAtomic(from, to);
  }
}

function writeBytes(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, bytes);
}

export async function writeSample(
  ctx: WriteContext,
  sample: DecodedSample,
  translated: RgbImage,
  flags: readonly Flag[],
  sourceFiles: readonly FileRecord[],
): Promise<WrittenSample> {
  const { item } = sample;
  if (flags.length > 0 && ctx.policy === 'drop') {
    return { status: 'dropped', outputs: [], actions: applyCityscapesPolicy(sample, flags, 'drop').actions };
  }
  const png = await encodePng(translated);
  const imageSha = sha256(png);
  const outputs: OutputRecord[] = [];
  const record = (path: string, sha: string): void => { outputs.push({ path: posixRelative(ctx.output, path), sha256: sha }); };
  const policy = applyCityscapesPolicy(sample, flags, ctx.policy);
  let written: string | undefined;

  if (ctx.formats.includes('cityscapes') && item.frame) {
    const root = join(ctx.output, CITYSCAPES_FOLDER);
    const ref: FrameRef = { split: item.frame.split, city: item.frame.city, id: item.frame.id };
    written = cityscapesImagePath(root, ref);
    writeBytes(written, png);
    record(written, imageSha);
    if (policy.labels) {
      // The same gtFine files as the source has, rewritten consistently with the ignore regions.
      const kinds = item.files.filter((f) => f.role !== 'image').map((f) => f.role as GtFineKind);
      const paths = await writeCityscapesLabels(root, ref, { width: sample.width, height: sample.height, ...policy.labels }, kinds);
      for (const path of Object.values(paths)) record(path, sha256File(path));
    } else {
      // Labels are copied byte for byte: the translated image has exactly the source's geometry.
      for (const file of item.files.filter((f) => f.role !== 'image')) {
        const target = cityscapesLabelPath(root, ref, file.role as GtFineKind);
        mkdirSync(dirname(target), { recursive: true });
        copyFileAtomic(file.absolute, target);
        record(target, sourceFiles.find((f) => f.role === file.role)!.sha256);
      }
    }
  }

  let coco: CocoPart | undefined;
  if (ctx.formats.includes('coco')) {
    const fileName = cocoOutputFileName(item);
    const target = join(ctx.output, COCO_FOLDER, 'images', item.split, ...fileName.split('/'));
    if (written) linkOrCopy(written, target);
    else writeBytes(target, png);
    record(target, imageSha);
    coco = cocoPart(sample, fileName, flags, ctx.policy);
  }
  outputs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { status: 'written', outputs, actions: policy.actions, ...(coco ? { coco } : {}) };
}

function cocoPart(sample: DecodedSample, fileName: string, flags: readonly Flag[], policy: FlagPolicy): CocoPart {
  const { item } = sample;
  const flagsOf = (instanceId: number): Flag[] => flags.filter((f) => f.instanceId === instanceId);
  const objectFlagIds = new Set(sample.objects.map((o) => o.instanceId));
  const imageFlags = flags.filter((f) => f.instanceId === undefined || !objectFlagIds.has(f.instanceId));
  let sourceImageId: number | string;
  let annotations: Omit<CocoAnnotation, 'id' | 'image_id'>[];
  let extra: Record<string, unknown> = {};
  if (item.frame) {
    sourceImageId = item.id;
    const asSample = {
      format: 'cityscapes', id: item.id, split: item.split, city: item.frame.city, imagePath: item.frame.imagePath,
      labelIdsPath: item.frame.labelIdsPath, instanceIdsPath: item.frame.instanceIdsPath,
      width: sample.width, height: sample.height, semantic: sample.semantic!, instances: sample.instances!, objects: sample.objects,
    } satisfies CityscapesSample;
    annotations = cityscapesSampleToCoco(asSample, 0, 0, fileName).annotations.map((a, k) => {
      const { id: _id, image_id: _imageId, ...rest } = a;
      const instanceId = sample.objects[k].instanceId;
      return annotate(rest, item.id, flagsOf(instanceId), policy);
    });
  } else {
    const coco = item.coco!;
    sourceImageId = coco.image.id;
    const { id: _id, file_name: _file, width: _w, height: _h, ...rest } = coco.image;
    extra = rest;
    annotations = coco.annotations.map((a) => {
      const { id: _aid, image_id: _imageId, ...fields } = structuredClone(a);
      return annotate(fields, coco.image.id, flagsOf(a.id), policy);
    });
  }
  return {
    split: item.split,
    image: {
      file_name: fileName, width: sample.width, height: sample.height, ...extra,
      nightshift: { source_image_id: sourceImageId, flags: imageFlags },
    },
    annotations,
  };
}

function annotate(
  fields: Omit<CocoAnnotation, 'id' | 'image_id'>, sourceImageId: number | string, flags: Flag[], policy: FlagPolicy,
): Omit<CocoAnnotation, 'id' | 'image_id'> {
  return { ...fields, ...cocoFlagFields(flags.length > 0, policy), nightshift: { source_image_id: sourceImageId, flags } };
}
