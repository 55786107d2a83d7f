// Reading a Cityscapes root: frames are enumerated from leftImg8bit (paths only), samples are
// decoded one at a time, so a dataset of any size streams in bounded memory.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors.ts';
import { readGrey16, readGrey8, readPngHeader, readRgb } from '../png.ts';
import type { CityscapesSample } from '../sample.ts';
import { colorDisagreement, instanceClassDisagreement, trainIdDisagreement, unknownLabelIds } from './consistency.ts';
import { cityscapesImagePath, cityscapesLabelPath, parseCityscapesPath, type FrameRef } from './naming.ts';
import { objectsFromInstanceIds } from './objects.ts';
import { readCityscapesPolygons } from './polygons.ts';

/** One frame of a Cityscapes root: where its files are (whether they exist is not checked). */
export interface CityscapesFrame extends FrameRef {
  root: string;
  imagePath: string;
  labelIdsPath: string;
  instanceIdsPath: string;
  colorPath: string;
  labelTrainIdsPath: string;
  polygonsPath: string;
}

export interface CityscapesListOptions {
  /** Only these splits (e.g. 'train', ['train', 'val']); default: every split folder. */
  split?: string | readonly string[];
  /** Called with each badly named PNG, which is then skipped; without it, a bad name throws. */
  onBadName?: (problem: DatasetError) => void;
}

/** The paths of one frame under a root. */
export function cityscapesFrame(root: string, ref: FrameRef): CityscapesFrame {
  return {
    root,
    split: ref.split,
    city: ref.city,
    id: ref.id,
    imagePath: cityscapesImagePath(root, ref),
    labelIdsPath: cityscapesLabelPath(root, ref, 'labelIds'),
    instanceIdsPath: cityscapesLabelPath(root, ref, 'instanceIds'),
    colorPath: cityscapesLabelPath(root, ref, 'color'),
    labelTrainIdsPath: cityscapesLabelPath(root, ref, 'labelTrainIds'),
    polygonsPath: cityscapesLabelPath(root, ref, 'polygons'),
  };
}

function subfolders(path: string): string[] {
  return readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function wantedSplits(folder: string, split: CityscapesListOptions['split']): string[] {
  const present = subfolders(folder);
  if (split === undefined) return present;
  const wanted = typeof split === 'string' ? [split] : [...split];
  for (const s of wanted) {
    if (!present.includes(s)) throw new DatasetError(join(folder, s), `split '${s}' not found; present: ${present.join(', ') || 'none'}`);
  }
  return wanted.sort(compare);
}

/**
 * The frames of a Cityscapes root, found from its `leftImg8bit/<split>/<city>/*_leftImg8bit.png`
 * images, sorted by split, city and id. A PNG with a name that is not Cityscapes naming is an error.
 */
export function listCityscapesFrames(root: string, options: CityscapesListOptions = {}): CityscapesFrame[] {
  const images = join(root, 'leftImg8bit');
  if (!existsSync(images) || !statSync(images).isDirectory()) {
    throw new DatasetError(root, 'not a Cityscapes root: no leftImg8bit/ folder');
  }
  const frames: CityscapesFrame[] = [];
  for (const split of wantedSplits(images, options.split)) {
    for (const city of subfolders(join(images, split))) {
      const names = readdirSync(join(images, split, city)).filter((n) => n.toLowerCase().endsWith('.png')).sort(compare);
      for (const name of names) {
        const path = join(images, split, city, name);
        try {
          frames.push(cityscapesFrame(root, parseCityscapesPath(path)));
        } catch (err) {
          if (!(err instanceof DatasetError) || !options.onBadName) throw err;
          options.onBadName(err);
        }
      }
    }
  }
  return frames;
}

/** Which optional files to check as well as the ones a sample needs. */
export interface FrameCheckOptions {
  /** Compare labelTrainIds and color, where present, with labelIds. */
  derivedImages?: boolean;
  /** Decode the whole image (finds truncated files) instead of reading only its header. */
  decodeImage?: boolean;
}

/**
 * Decodes one frame and checks it, passing every problem to `report`. Returns the sample when the
 * files it needs could be read (problems may still have been reported), otherwise undefined.
 * `report` may throw to stop at the first problem.
 */
export async function inspectCityscapesFrame(
  frame: CityscapesFrame,
  report: (problem: DatasetError) => void,
  options: FrameCheckOptions = {},
): Promise<CityscapesSample | undefined> {
  const attempt = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      report(err);
      return undefined;
    }
  };
  const requireFile = (path: string, what: string): boolean => {
    if (existsSync(path)) return true;
    report(new DatasetError(path, `missing ${what} of frame ${frame.id}`));
    return false;
  };

  const readImage = async (): Promise<{ width: number; height: number }> =>
    options.decodeImage ? readRgb(frame.imagePath) : readPngHeader(frame.imagePath);
  const image = requireFile(frame.imagePath, 'image') ? await attempt(readImage) : undefined;
  const labels = requireFile(frame.labelIdsPath, 'labelIds') ? await attempt(() => readGrey8(frame.labelIdsPath)) : undefined;
  const instances = requireFile(frame.instanceIdsPath, 'instanceIds') ? await attempt(() => readGrey16(frame.instanceIdsPath)) : undefined;
  const width = image?.width ?? labels?.width ?? instances?.width;
  const height = image?.height ?? labels?.height ?? instances?.height;
  const sizeOk = (what: { width: number; height: number } | undefined, path: string): boolean => {
    if (!what) return false;
    if (what.width === width && what.height === height) return true;
    report(new DatasetError(path, `size ${what.width}x${what.height} differs from the image's ${width}x${height} (${frame.imagePath})`));
    return false;
  };
  const labelsOk = sizeOk(labels, frame.labelIdsPath);
  const instancesOk = sizeOk(instances, frame.instanceIdsPath);

  if (labels && labelsOk) {
    const unknown = unknownLabelIds(labels.data);
    if (unknown.length > 0) {
      const list = unknown.map((u) => `${u.id} (${u.pixels} pixels)`).join(', ');
      report(new DatasetError(frame.labelIdsPath, `unknown label id${unknown.length > 1 ? 's' : ''} ${list}: not in the Cityscapes label table`));
    }
  }
  if (labels && labelsOk && instances && instancesOk) {
    const d = instanceClassDisagreement(labels.data, instances.data);
    if (d.pixels > 0) {
      const x = d.firstIndex % width!, y = Math.floor(d.firstIndex / width!);
      report(new DatasetError(
        frame.instanceIdsPath,
        `${d.pixels} pixels have an instance value whose class differs from labelIds (first at x=${x} y=${y}: ` +
          `instanceIds ${instances.data[d.firstIndex]}, labelIds ${labels.data[d.firstIndex]})`,
      ));
    }
  }
  let hasPolygons = false;
  if (existsSync(frame.polygonsPath)) {
    hasPolygons = true;
    const polygons = await attempt(async () => readCityscapesPolygons(frame.polygonsPath));
    if (polygons && width !== undefined && (polygons.imgWidth !== width || polygons.imgHeight !== height)) {
      const pointer = polygons.imgWidth !== width ? '/imgWidth' : '/imgHeight';
      report(new DatasetError(frame.polygonsPath, `size ${polygons.imgWidth}x${polygons.imgHeight} differs from the image's ${width}x${height}`, pointer));
    }
  }
  if (options.derivedImages && labels && labelsOk) {
    if (existsSync(frame.labelTrainIdsPath)) {
      const trainIds = await attempt(() => readGrey8(frame.labelTrainIdsPath));
      if (sizeOk(trainIds, frame.labelTrainIdsPath)) {
        const d = trainIdDisagreement(labels.data, trainIds!.data);
        if (d.pixels > 0) {
          report(new DatasetError(frame.labelTrainIdsPath, `${d.pixels} pixels disagree with the trainIds of labelIds (first at x=${d.firstIndex % width!} y=${Math.floor(d.firstIndex / width!)})`));
        }
      }
    }
    if (existsSync(frame.colorPath)) {
      const color = await attempt(() => readRgb(frame.colorPath));
      if (sizeOk(color, frame.colorPath)) {
        const d = colorDisagreement(labels.data, color!.data);
        if (d.pixels > 0) {
          report(new DatasetError(frame.colorPath, `${d.pixels} pixels disagree with the colours of labelIds (first at x=${d.firstIndex % width!} y=${Math.floor(d.firstIndex / width!)})`));
        }
      }
    }
  }
  if (!image || !labels || !instances || !labelsOk || !instancesOk) return undefined;
  let objects;
  try {
    objects = objectsFromInstanceIds(instances.data, width!);
  } catch (err) {
    report(new DatasetError(frame.instanceIdsPath, (err as Error).message));
    return undefined;
  }
  return {
    format: 'cityscapes',
    id: frame.id,
    split: frame.split,
    city: frame.city,
    imagePath: frame.imagePath,
    labelIdsPath: frame.labelIdsPath,
    instanceIdsPath: frame.instanceIdsPath,
    ...(hasPolygons ? { polygonsPath: frame.polygonsPath } : {}),
    width: width!,
    height: height!,
    semantic: labels.data,
    instances: instances.data,
    objects,
  };
}

/** Decodes one frame into a sample; the first problem throws a DatasetError naming its file. */
export async function readCityscapesSample(frame: CityscapesFrame): Promise<CityscapesSample> {
  const sample = await inspectCityscapesFrame(frame, (problem) => {
    throw problem;
  });
  // Unreachable: every path that returns undefined has reported (and so thrown) first.
  if (!sample) throw new DatasetError(frame.imagePath, 'frame could not be read');
  return sample;
}

/** Streams the samples of a Cityscapes root one at a time, in listCityscapesFrames order. */
export async function* readCityscapes(root: string, options: CityscapesListOptions = {}): AsyncGenerator<CityscapesSample> {
  for (const frame of listCityscapesFrames(root, options)) yield await readCityscapesSample(frame);
}
