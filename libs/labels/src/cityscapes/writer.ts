// Writing the label files of one Cityscapes frame. Every file is written atomically, and the same
// labels always give the same bytes.
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { copyFileAtomic, writeFileAtomic } from '../atomic-file.ts';
import { readPngHeader, writeGrey16, writeGrey8, writeRgb, type RgbImage } from '../png.ts';
import { instanceClassDisagreement, toColor, toTrainIds, unknownLabelIds } from './consistency.ts';
import { cityscapesImagePath, cityscapesLabelPath, type FrameRef } from './naming.ts';
import type { CityscapesPolygons } from './polygons.ts';
import { tracePolygons } from './trace.ts';

export interface CityscapesLabels {
  width: number;
  height: number;
  /** labelIds, one byte per pixel. */
  semantic: Uint8Array;
  /** instanceIds: labelId*1000+k for instances, labelId otherwise. */
  instances: Uint16Array;
}

export interface WrittenCityscapesLabels {
  labelIdsPath: string;
  instanceIdsPath: string;
  colorPath: string;
  labelTrainIdsPath: string;
  polygonsPath: string;
}

function checkLabels(labels: CityscapesLabels, what: string): void {
  const n = labels.width * labels.height;
  if (!(n > 0) || labels.semantic.length !== n || labels.instances.length !== n) {
    throw new RangeError(`${what}: ${labels.semantic.length} labelIds and ${labels.instances.length} instanceIds values for ${labels.width}x${labels.height}`);
  }
  const unknown = unknownLabelIds(labels.semantic);
  if (unknown.length > 0) throw new RangeError(`${what}: unknown label ids ${unknown.map((u) => `${u.id} (${u.pixels} pixels)`).join(', ')}`);
  const d = instanceClassDisagreement(labels.semantic, labels.instances);
  if (d.pixels > 0) throw new RangeError(`${what}: ${d.pixels} pixels have an instance value whose class differs from labelIds`);
}

/**
 * Polygons json text: one object per line, so that diffs stay readable and files stay small.
 * Key order is fixed, so equal polygons give equal bytes.
 */
export function formatCityscapesPolygons(json: CityscapesPolygons): string {
  const objects = json.objects.map((o) => `    ${JSON.stringify({ label: o.label, polygon: o.polygon })}`);
  return `{\n  "imgHeight": ${json.imgHeight},\n  "imgWidth": ${json.imgWidth},\n  "objects": [\n${objects.join(',\n')}\n  ]\n}\n`;
}

/**
 * Writes labelIds (8-bit), instanceIds (16-bit), color (RGB), labelTrainIds and a traced polygons
 * json for one frame under `root`. The labels must use known ids and agree with each other
 * (instance class = labelIds), so that what is written reads back without problems.
 */
export async function writeCityscapesLabels(root: string, ref: FrameRef, labels: CityscapesLabels): Promise<WrittenCityscapesLabels> {
  const paths: WrittenCityscapesLabels = {
    labelIdsPath: cityscapesLabelPath(root, ref, 'labelIds'),
    instanceIdsPath: cityscapesLabelPath(root, ref, 'instanceIds'),
    colorPath: cityscapesLabelPath(root, ref, 'color'),
    labelTrainIdsPath: cityscapesLabelPath(root, ref, 'labelTrainIds'),
    polygonsPath: cityscapesLabelPath(root, ref, 'polygons'),
  };
  checkLabels(labels, `frame ${ref.id}`);
  const { width, height, semantic, instances } = labels;
  const polygons = tracePolygons(semantic, instances, width, height);
  mkdirSync(dirname(paths.labelIdsPath), { recursive: true });
  await writeGrey8(paths.labelIdsPath, { width, height, data: semantic });
  await writeGrey16(paths.instanceIdsPath, { width, height, data: instances });
  await writeRgb(paths.colorPath, { width, height, data: toColor(semantic) });
  await writeGrey8(paths.labelTrainIdsPath, { width, height, data: toTrainIds(semantic) });
  writeFileAtomic(paths.polygonsPath, formatCityscapesPolygons(polygons));
  return paths;
}

/**
 * Puts a frame's image at `leftImg8bit/<split>/<city>/<id>_leftImg8bit.png` under `root`: a PNG path
 * is copied byte for byte (nothing to do when it is already that file), decoded pixels are encoded.
 * Returns the image path.
 */
export async function copyOrWriteImage(root: string, ref: FrameRef, image: string | RgbImage): Promise<string> {
  const target = cityscapesImagePath(root, ref);
  mkdirSync(dirname(target), { recursive: true });
  if (typeof image !== 'string') {
    await writeRgb(target, image);
    return target;
  }
  readPngHeader(image);
  let same = false;
  try {
    same = realpathSync(image) === realpathSync(target);
  } catch {
    same = resolve(image) === resolve(target);
  }
  if (!same) copyFileAtomic(image, target);
  return target;
}
