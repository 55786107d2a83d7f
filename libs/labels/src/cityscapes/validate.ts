// Checking a whole Cityscapes root, collecting every problem instead of stopping at the first.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError, type DatasetProblem } from '../errors.ts';
import { resolvesOutside } from '../paths.ts';
import { parseCityscapesPath } from './naming.ts';
import { inspectCityscapesFrame, listCityscapesFrames, type CityscapesListOptions } from './reader.ts';

/** One problem found by validateCityscapes (the pointer is set for problems in a polygons json). */
export type CityscapesProblem = DatasetProblem;

export interface CityscapesSummary {
  /** Frames found (images in leftImg8bit). */
  images: number;
  /** Frames whose image, labelIds and instanceIds could all be read. */
  readable: number;
  /** Frames per split. */
  splits: Record<string, number>;
  /** Instances (labelId*1000+k) per class name, over readable frames. */
  objectsPerClass: Record<string, number>;
  /** Groups (iscrowd regions) per class name, over readable frames. */
  groupsPerClass: Record<string, number>;
  /** Frames that have each optional file. */
  withPolygons: number;
  withLabelTrainIds: number;
  withColor: number;
}

export interface CityscapesValidation {
  summary: CityscapesSummary;
  problems: CityscapesProblem[];
}

export interface CityscapesValidateOptions {
  split?: CityscapesListOptions['split'];
  /** Decode every image fully (finds truncated images). Default true. */
  decodeImages?: boolean;
}

const FRAME_FILES = ['imagePath', 'labelIdsPath', 'instanceIdsPath', 'colorPath', 'labelTrainIdsPath', 'polygonsPath'] as const;

function* filesUnder(folder: string): Generator<string> {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/**
 * Checks every frame of a Cityscapes root: file naming, missing label files, label files without an
 * image, files that resolve outside the root, unreadable or truncated PNGs, sizes, unknown label ids,
 * 8-bit instanceIds, instance classes against labelIds, polygons json schema, and labelTrainIds /
 * color against labelIds. Decodes one frame at a time.
 */
export async function validateCityscapes(root: string, options: CityscapesValidateOptions = {}): Promise<CityscapesValidation> {
  const problems: CityscapesProblem[] = [];
  const report = (e: DatasetError): void => { problems.push(e.toProblem()); };
  const summary: CityscapesSummary = {
    images: 0, readable: 0, splits: {}, objectsPerClass: {}, groupsPerClass: {}, withPolygons: 0, withLabelTrainIds: 0, withColor: 0,
  };
  let frames;
  try {
    frames = listCityscapesFrames(root, { split: options.split, onBadName: report });
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err;
    report(err);
    return { summary, problems };
  }
  summary.images = frames.length;

  // Label files whose frame has no image, and badly named label files.
  const imageIds = new Set(frames.map((f) => `${f.split}/${f.city}/${f.id}`));
  const wanted = options.split === undefined ? undefined : new Set(typeof options.split === 'string' ? [options.split] : options.split);
  const gtFine = join(root, 'gtFine');
  if (existsSync(gtFine) && statSync(gtFine).isDirectory()) {
    for (const path of filesUnder(gtFine)) {
      let parsed;
      try {
        parsed = parseCityscapesPath(path);
      } catch (err) {
        if (!(err instanceof DatasetError)) throw err;
        report(err);
        continue;
      }
      if (wanted && !wanted.has(parsed.split)) continue;
      if (!imageIds.has(`${parsed.split}/${parsed.city}/${parsed.id}`)) {
        report(new DatasetError(path, `label file without an image (no leftImg8bit/${parsed.split}/${parsed.city}/${parsed.id}_leftImg8bit.png)`));
      }
    }
  }

  const realRoot = realpathSync.native(root);
  for (const frame of frames) {
    summary.splits[frame.split] = (summary.splits[frame.split] ?? 0) + 1;
    const escaping = FRAME_FILES.map((k) => frame[k]).filter((path) => {
      const resolved = resolvesOutside(path, realRoot);
      if (resolved !== undefined) report(new DatasetError(path, `resolves to ${resolved}, outside the dataset folder ${realRoot}`));
      return resolved !== undefined;
    });
    if (escaping.length) continue;
    if (existsSync(frame.polygonsPath)) summary.withPolygons++;
    if (existsSync(frame.labelTrainIdsPath)) summary.withLabelTrainIds++;
    if (existsSync(frame.colorPath)) summary.withColor++;
    const sample = await inspectCityscapesFrame(frame, report, { derivedImages: true, decodeImage: options.decodeImages ?? true });
    if (!sample) continue;
    summary.readable++;
    for (const o of sample.objects) {
      const counts = o.iscrowd ? summary.groupsPerClass : summary.objectsPerClass;
      counts[o.name] = (counts[o.name] ?? 0) + 1;
    }
  }
  return { summary, problems };
}
