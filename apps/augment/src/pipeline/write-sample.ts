// The last stage for one sample: encode the translated image, write it and the labels in each output
// format, one DatasetWriter per format (every file atomically), and return what was written for the
// manifest. The LabelPolicy decides what the flags change in each format.
import { linkSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import sharp from 'sharp';
import {
  atomicTempPath, cityscapesImagePath, cityscapesLabelPath, cityscapesObjectAnnotation, copyFileAtomic, writeCityscapesLabels, writeFileAtomic,
  type CocoAnnotation, type CocoCategory, type FrameRef, type GtFineKind,
} from '@nightshift/labels';
import type { Flag } from './checks.ts';
import type { RgbImage } from '@nightshift/cyclegan';
import { sha256, sha256File } from './hash.ts';
import type { DatasetFormat, FlagPolicy } from './options.ts';
import { imageFlags, labelPolicy, type CityscapesPolicyResult } from './policy.ts';
import type { CocoPart, FileRecord, FlagAction, OutputRecord } from './record.ts';
import { cocoOutputFileName, type DecodedSample } from './sources.ts';

export const CITYSCAPES_FOLDER = 'cityscapes';
export const COCO_FOLDER = 'coco';

export interface WriteContext {
  output: string;
  formats: readonly DatasetFormat[];
  policy: FlagPolicy;
  /** The categories of the COCO output (ignore regions are written once per category). */
  cocoCategories?: readonly CocoCategory[];
}

type AnnotationFields = Omit<CocoAnnotation, 'id' | 'image_id'>;

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

/** What a writer is handed for one sample: the encoded translated image and the policy's decisions. */
interface SampleToWrite {
  sample: DecodedSample;
  png: Buffer;
  imageSha: string;
  flags: readonly Flag[];
  sourceFiles: readonly FileRecord[];
  cityscapesPolicy: CityscapesPolicyResult;
  /** The translated image as already written by an earlier writer, to link instead of writing again. */
  writtenImage?: string;
}

/** Writes one sample in one output format; returns the files written (absolute path, sha256). */
export interface DatasetWriter {
  readonly format: DatasetFormat;
  write(ctx: WriteContext, s: SampleToWrite): Promise<{ files: [path: string, sha256: string][]; image?: string; coco?: CocoPart }>;
}

export const cityscapesWriter: DatasetWriter = {
  format: 'cityscapes',
  async write(ctx, { sample, png, imageSha, sourceFiles, cityscapesPolicy }) {
    // A COCO input has no Cityscapes labels to write (the CLI writes it as COCO only).
    if (sample.item.format !== 'cityscapes') return { files: [] };
    const { item } = sample;
    const root = join(ctx.output, CITYSCAPES_FOLDER);
    const ref: FrameRef = { split: item.frame.split, city: item.frame.city, id: item.frame.id };
    const image = cityscapesImagePath(root, ref);
    writeBytes(image, png);
    const files: [string, string][] = [[image, imageSha]];
    if (cityscapesPolicy.labels) {
      // The same gtFine files as the source has, rewritten consistently with the ignore regions.
      const kinds = item.files.filter((f) => f.role !== 'image').map((f) => f.role as GtFineKind);
      const paths = await writeCityscapesLabels(root, ref, { width: sample.width, height: sample.height, ...cityscapesPolicy.labels }, kinds);
      for (const path of Object.values(paths)) files.push([path, sha256File(path)]);
    } else {
      // Labels are copied byte for byte: the translated image has exactly the source's geometry.
      for (const file of item.files.filter((f) => f.role !== 'image')) {
        const target = cityscapesLabelPath(root, ref, file.role as GtFineKind);
        mkdirSync(dirname(target), { recursive: true });
        copyFileAtomic(file.absolute, target);
        files.push([target, sourceFiles.find((f) => f.role === file.role)!.sha256]);
      }
    }
    return { files, image };
  },
};

export const cocoWriter: DatasetWriter = {
  format: 'coco',
  async write(ctx, { sample, png, imageSha, flags, writtenImage }) {
    const fileName = cocoOutputFileName(sample.item);
    const target = join(ctx.output, COCO_FOLDER, 'images', sample.item.split, ...fileName.split('/'));
    if (writtenImage) linkOrCopy(writtenImage, target);
    else writeBytes(target, png);
    return { files: [[target, imageSha]], coco: cocoPart(sample, fileName, flags, ctx) };
  },
};

const WRITERS: readonly DatasetWriter[] = [cityscapesWriter, cocoWriter];

export async function writeSample(
  ctx: WriteContext,
  sample: DecodedSample,
  translated: RgbImage,
  flags: readonly Flag[],
  sourceFiles: readonly FileRecord[],
): Promise<WrittenSample> {
  const policy = labelPolicy(ctx.policy);
  if (flags.length > 0 && ctx.policy === 'drop') {
    return { status: 'dropped', outputs: [], actions: policy.cityscapes(sample, flags).actions };
  }
  const png = await encodePng(translated);
  const imageSha = sha256(png);
  const cityscapesPolicy = policy.cityscapes(sample, flags);
  const outputs: OutputRecord[] = [];
  let writtenImage: string | undefined;
  let coco: CocoPart | undefined;
  for (const writer of WRITERS) {
    if (!ctx.formats.includes(writer.format)) continue;
    const written = await writer.write(ctx, { sample, png, imageSha, flags, sourceFiles, cityscapesPolicy, writtenImage });
    for (const [path, sha] of written.files) outputs.push({ path: posixRelative(ctx.output, path), sha256: sha });
    writtenImage ??= written.image;
    coco ??= written.coco;
  }
  outputs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { status: 'written', outputs, actions: cityscapesPolicy.actions, ...(coco ? { coco } : {}) };
}

/** The sample's COCO image entry and annotations, flagged objects marked and ignore regions added under the policy. */
function cocoPart(sample: DecodedSample, fileName: string, flags: readonly Flag[], ctx: WriteContext): CocoPart {
  const policy = labelPolicy(ctx.policy);
  const flagsOf = (instanceId: number): Flag[] => flags.filter((f) => f.instanceId === instanceId);
  const annotate = (fields: AnnotationFields, sourceImageId: number | string, own: Flag[]): AnnotationFields =>
    ({ ...fields, ...policy.cocoAnnotationFields(own.length > 0), nightshift: { source_image_id: sourceImageId, flags: own } });
  let sourceImageId: number | string;
  let annotations: AnnotationFields[];
  let extra: Record<string, unknown> = {};
  if ('semantic' in sample) {
    sourceImageId = sample.item.id;
    annotations = sample.objects.map((object) =>
      annotate(cityscapesObjectAnnotation(sample.instances, sample.width, sample.height, object), sourceImageId, flagsOf(object.instanceId)));
  } else {
    const { coco } = sample.item;
    sourceImageId = coco.image.id;
    const { id: _id, file_name: _file, width: _w, height: _h, ...rest } = coco.image;
    extra = rest;
    annotations = coco.annotations.map((a) => {
      const { id: _aid, image_id: _imageId, ...fields } = structuredClone(a);
      return annotate(fields, coco.image.id, flagsOf(a.id));
    });
  }
  annotations.push(...policy.cocoIgnoreRegions(sample, flags, ctx.cocoCategories ?? [], sourceImageId));
  return {
    split: sample.item.split,
    image: {
      file_name: fileName, width: sample.width, height: sample.height, ...extra,
      nightshift: { source_image_id: sourceImageId, flags: imageFlags(sample, flags) },
    },
    annotations,
  };
}
