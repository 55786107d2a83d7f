// One translated image, checked object by object: the erasure and hallucination scores and the flags
// that exceed the thresholds. With the segmenter's class probabilities of both images (`semantic`), the
// semantic cue joins the structural ones: each cue has its own threshold and a flag is raised when any
// cue's score passes its threshold (OR), except where the semantic cue abstains.
import { labelById } from '@nightshift/labels';
import { analyse } from './analysis.ts';
import { checkLabels, checkRgb, type LabelMaps, type RgbImage } from './image.ts';
import { scoreObjects, type ObjectScore } from './erasure.ts';
import { scoreRegions, type RegionScore } from './hallucination.ts';
import { strayLightRegions } from './stray-lights.ts';
import { resolveThresholds, type CheckThresholds, type ConsistencyThresholds } from './thresholds.ts';
import { Scratch } from './scratch.ts';
import { isSemanticallyErased, scoreSemantic, type SemanticInput, type SemanticResult } from './semantic/cue.ts';

export interface ConsistencyFlag {
  sampleId: string;
  kind: 'erased' | 'hallucinated';
  /** The cue whose score passed its threshold (an erasure both cues find is reported by the structural one). */
  cue: RegionScore['cue'];
  /** The labelled object (erased flags only). */
  instanceId?: number;
  /** Box [x, y, w, h] in image pixels. */
  bbox: [number, number, number, number];
  /** Erased: the object's label. Hallucinated: the stuff label the region lies on. */
  labelId: number;
  className: string;
  /**
   * Erased: structure retention (flag when below threshold) or, by the semantic cue, the drop of the
   * class's coverage from day to night (flag when at or above). Hallucinated: novelty evidence, stray
   * emitter pixels or semantic evidence, by the region's cue (flag when at or above).
   */
  score: number;
  threshold: number;
  /** Hallucinated by the semantic cue: the thing class the segmenter finds there at night. */
  predictedClassName?: string;
}

export interface ConsistencyInput {
  sampleId: string;
  /** The image the labels belong to (e.g. the day frame). */
  source: RgbImage;
  /** The translated image (same size). */
  output: RgbImage;
  labels: LabelMaps;
  /** The segmenter's class probabilities of source and output (SemanticSegmenter); absent: structural cues only. */
  semantic?: SemanticInput;
}

export interface ConsistencyResult {
  flags: ConsistencyFlag[];
  /** Every object large enough to score, flagged or not. */
  objects: ObjectScore[];
  /** Every candidate region of every cue, flagged or not. */
  regions: RegionScore[];
  /** The semantic cue's scores and abstentions (with `semantic` input only). */
  semantic?: SemanticResult;
}

const className = (id: number): string => labelById(id)?.name ?? `label ${id}`;

/** The threshold a region's score is compared with (each cue has its own). */
export function regionThreshold(r: RegionScore, t: CheckThresholds): number {
  return r.cue === 'light' ? t.strayLightThreshold : r.cue === 'semantic' ? t.semanticHallucinationThreshold : t.hallucinationThreshold;
}

/** Whether an object score is an erasure at these thresholds (objects under erasureMinArea never are). */
export function isErased(o: ObjectScore, t: ConsistencyThresholds): boolean {
  return o.area >= t.erasureMinArea && o.comparable && o.retention < t.erasureThreshold;
}

/**
 * `overrides` replace the structural defaults and, with `semantic` input, the segmenter's calibrated
 * thresholds (semantic.thresholds).
 */
export function checkConsistency(input: ConsistencyInput, overrides: Partial<CheckThresholds> = {}): ConsistencyResult {
  // Without semantic input no semantic threshold is read (no semantic region or object exists).
  const t = { ...input.semantic?.thresholds, ...resolveThresholds(overrides) } as CheckThresholds;
  const { source, output, labels, sampleId } = input;
  checkRgb(source, `${sampleId} (source)`);
  checkRgb(output, `${sampleId} (output)`);
  if (output.width !== source.width || output.height !== source.height) {
    throw new RangeError(`${sampleId}: output is ${output.width}x${output.height}, source ${source.width}x${source.height}; they must match`);
  }
  checkLabels(labels, source.width, source.height, `${sampleId} (labels)`);
  const scratch = new Scratch();
  let objects: ObjectScore[], regions: RegionScore[], semantic: SemanticResult | undefined;
  try {
    const a = analyse(source, output, labels, t, scratch);
    objects = scoreObjects(a, t).filter((o) => o.area >= t.erasureMinArea);
    regions = [...scoreRegions(a, t, scratch), ...strayLightRegions(source, output, labels, a.labels, a.factor, t, scratch)];
    if (input.semantic) {
      semantic = scoreSemantic(input.semantic, labels, t, scratch);
      regions.push(...semantic.regions);
    }
  } finally {
    scratch.release();
  }
  const flags: ConsistencyFlag[] = [];
  const erased = new Set<number>();
  for (const o of objects) {
    if (!isErased(o, t)) continue;
    erased.add(o.instanceId);
    flags.push({
      sampleId, kind: 'erased', cue: 'structure', instanceId: o.instanceId, bbox: o.bbox, labelId: o.labelId, className: className(o.labelId),
      score: o.retention, threshold: t.erasureThreshold,
    });
  }
  for (const o of semantic?.objects ?? []) {
    if (erased.has(o.instanceId) || !isSemanticallyErased(o, t)) continue;
    flags.push({
      sampleId, kind: 'erased', cue: 'semantic', instanceId: o.instanceId, bbox: o.bbox, labelId: o.labelId, className: className(o.labelId),
      score: o.drop, threshold: t.semanticErasureThreshold,
    });
  }
  for (const r of regions) {
    const threshold = regionThreshold(r, t);
    if (r.score < threshold) continue;
    flags.push({
      sampleId, kind: 'hallucinated', cue: r.cue, bbox: r.bbox, labelId: r.labelId, className: className(r.labelId),
      score: r.score, threshold, ...(r.predictedLabelId === undefined ? {} : { predictedClassName: className(r.predictedLabelId) }),
    });
  }
  return { flags, objects, regions, ...(semantic ? { semantic } : {}) };
}
