// One translated image, checked object by object: the erasure and hallucination scores and the flags
// that exceed the thresholds.
import { labelById } from '@nightshift/labels';
import { analyse } from './analysis.ts';
import { checkLabels, checkRgb, type LabelMaps, type RgbImage } from './image.ts';
import { scoreObjects, type ObjectScore } from './erasure.ts';
import { scoreRegions, type RegionScore } from './hallucination.ts';
import { strayLightRegions } from './stray-lights.ts';
import { resolveThresholds, type ConsistencyThresholds } from './thresholds.ts';
import { Scratch } from './scratch.ts';

export interface ConsistencyFlag {
  sampleId: string;
  kind: 'erased' | 'hallucinated';
  /** The labelled object (erased flags only). */
  instanceId?: number;
  /** Box [x, y, w, h] in image pixels. */
  bbox: [number, number, number, number];
  /** Erased: the object's label. Hallucinated: the stuff label the region lies on. */
  labelId: number;
  className: string;
  /**
   * Erased: structure retention (flag when below threshold). Hallucinated: novelty evidence or stray
   * emitter pixels, by the region's cue (flag when at or above).
   */
  score: number;
  threshold: number;
}

export interface ConsistencyInput {
  sampleId: string;
  /** The image the labels belong to (e.g. the day frame). */
  source: RgbImage;
  /** The translated image (same size). */
  output: RgbImage;
  labels: LabelMaps;
}

export interface ConsistencyResult {
  flags: ConsistencyFlag[];
  /** Every object large enough to score, flagged or not. */
  objects: ObjectScore[];
  /** Every candidate new-structure region, flagged or not. */
  regions: RegionScore[];
}

const className = (id: number): string => labelById(id)?.name ?? `label ${id}`;

/** The threshold a region's score is compared with (each cue has its own). */
export function regionThreshold(r: RegionScore, t: ConsistencyThresholds): number {
  return r.cue === 'light' ? t.strayLightThreshold : t.hallucinationThreshold;
}

/** Whether an object score is an erasure at these thresholds (objects under erasureMinArea never are). */
export function isErased(o: ObjectScore, t: ConsistencyThresholds): boolean {
  return o.area >= t.erasureMinArea && o.comparable && o.retention < t.erasureThreshold;
}

export function checkConsistency(input: ConsistencyInput, overrides: Partial<ConsistencyThresholds> = {}): ConsistencyResult {
  const t = resolveThresholds(overrides);
  const { source, output, labels, sampleId } = input;
  checkRgb(source, `${sampleId} (source)`);
  checkRgb(output, `${sampleId} (output)`);
  if (output.width !== source.width || output.height !== source.height) {
    throw new RangeError(`${sampleId}: output is ${output.width}x${output.height}, source ${source.width}x${source.height}; they must match`);
  }
  checkLabels(labels, source.width, source.height, `${sampleId} (labels)`);
  const scratch = new Scratch();
  let objects: ObjectScore[], regions: RegionScore[];
  try {
    const a = analyse(source, output, labels, t, scratch);
    objects = scoreObjects(a, t).filter((o) => o.area >= t.erasureMinArea);
    regions = [...scoreRegions(a, t, scratch), ...strayLightRegions(source, output, labels, a.labels, a.factor, t, scratch)];
  } finally {
    scratch.release();
  }
  const flags: ConsistencyFlag[] = [];
  for (const o of objects) {
    if (!isErased(o, t)) continue;
    flags.push({
      sampleId, kind: 'erased', instanceId: o.instanceId, bbox: o.bbox, labelId: o.labelId, className: className(o.labelId),
      score: o.retention, threshold: t.erasureThreshold,
    });
  }
  for (const r of regions) {
    const threshold = regionThreshold(r, t);
    if (r.score < threshold) continue;
    flags.push({
      sampleId, kind: 'hallucinated', bbox: r.bbox, labelId: r.labelId, className: className(r.labelId),
      score: r.score, threshold,
    });
  }
  return { flags, objects, regions };
}
