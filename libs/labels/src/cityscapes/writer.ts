// Writing the label files of one Cityscapes frame. Every file is written atomically, and the same
// labels always give the same bytes.
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { copyFileAtomic, writeFileAtomic } from '../atomic-file.ts';
import { readPngHeader, writeGrey16, writeGrey8, writeRgb, type RgbImage } from '../png.ts';
import { instanceClassDisagreement, toColor, toTrainIds, unknownLabelIds } from './consistency.ts';
import { GT_FINE_KINDS, cityscapesImagePath, cityscapesLabelPath, type FrameRef, type GtFineKind } from './naming.ts';
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

/** The files writeCityscapesLabels wrote, by kind. */
export type WrittenCityscapesLabels = { labelIds: string; instanceIds: string } & Partial<Record<GtFineKind, string>>;

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
 * Writes the label files of one frame under `root`: by default labelIds (8-bit), instanceIds
 * (16-bit), color (RGB), labelTrainIds and a traced polygons json; `kinds` limits it to some of them
 * (labelIds and instanceIds are always written). The labels must use known ids and agree with each
 * other (instance class = labelIds), so that what is written reads back without problems. Returns
 * the paths written, by kind.
 */
export async function writeCityscapesLabels(
  root: string,
  ref: FrameRef,
  labels: CityscapesLabels,
  kinds: readonly GtFineKind[] = GT_FINE_KINDS,
): Promise<WrittenCityscapesLabels> {
  checkLabels(labels, `frame ${ref.id}`);
  const { width, height, semantic, instances } = labels;
  const wanted = new Set<GtFineKind>([...kinds, 'labelIds', 'instanceIds']);
  const path = (kind: GtFineKind) => cityscapesLabelPath(root, ref, kind);
  const written: WrittenCityscapesLabels = { labelIds: path('labelIds'), instanceIds: path('instanceIds') };
  mkdirSync(dirname(written.labelIds), { recursive: true });
  await writeGrey8(written.labelIds, { width, height, data: semantic });
  await writeGrey16(written.instanceIds, { width, height, data: instances });
  if (wanted.has('color')) await writeRgb((written.color = path('color')), { width, height, data: toColor(semantic) });
  if (wanted.has('labelTrainIds')) await writeGrey8((written.labelTrainIds = path('labelTrainIds')), { width, height, data: toTrainIds(semantic) });
  if (wanted.has('polygons')) writeFileAtomic((written.polygons = path('polygons')), formatCityscapesPolygons(tracePolygons(semantic, instances, width, height)));
  return written;
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
