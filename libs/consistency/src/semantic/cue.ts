// The semantic cue: where a segmenter's reading of the night image disagrees with the labels in a way
// its reading of the day image does not. Works on the segmenter's grid (ClassProbabilities).
//
// - Hallucination evidence, per grid pixel: the largest gain pNight(c) - pDay(c) over the thing classes c
//   (person, rider, car, truck, bus, bicycle) that the labels do not give that pixel (stuff, or an object
//   of the other category, THING_CATEGORY); void pixels are not looked at. Pixels whose gain exceeds
//   semanticPixelThreshold form regions (parts one pixel apart are one region, as for the structure
//   cue); a region's score is its evidence, the sum of (gain - semanticPixelThreshold) over its pixels
//   counted at full resolution, and its box comes from the evidence moments. Both vanish at the pixel
//   threshold, so a small change of the night image moves them a little instead of flipping a region
//   in or out.
// - Erasure evidence, per object of a thing class: its class's mean probability inside its mask by day
//   (coverage) minus by night (the drop).
// - Self-gating: the day image's labels are known, so the cue first measures how well the segmenter
//   reads this frame by day (pixel accuracy of the day argmax against the labels' trainIds). Below
//   semanticFrameAccuracy the whole frame abstains; an object whose class covers less than
//   semanticObjectCoverage of its mask by day abstains on its own.
import { TRAIN_ID_LUT, TRAIN_LABELS, labelByName, labelIdOf } from '@nightshift/labels';
import { connectedComponents, dominantLabel, momentBox } from '../components.ts';
import { boxMean } from '../box-filter.ts';
import { isObjectId } from '../instances.ts';
import type { LabelMaps } from '../image.ts';
import type { RegionScore } from '../hallucination.ts';
import type { CheckThresholds } from '../thresholds.ts';
import type { SemanticThresholds } from './calibration.ts';
import type { Scratch } from '../scratch.ts';
import type { ClassProbabilities } from './segmenter.ts';

/** Cityscapes names of the classes whose appearance or disappearance the cue looks for. */
export const SEMANTIC_THING_CLASSES: readonly string[] = Object.freeze(['person', 'rider', 'car', 'truck', 'bus', 'bicycle']);
const THING_TRAIN_IDS: readonly number[] = SEMANTIC_THING_CLASSES.map((n) => labelByName(n)!.trainId);
const IGNORE = 255;
/**
 * Per trainId, the Cityscapes category id of a labelled thing (human, vehicle), -1 for stuff: over a
 * labelled thing only classes of another category count as new, since a segmenter's confusions within a
 * category (a bus read as a truck, a car's front as a bus) are its commonest error, and a new car over a
 * labelled bus is not told apart from one anyway.
 */
const THING_CATEGORY: Int16Array = (() => {
  const byTrainId = new Int16Array(256).fill(-1);
  for (const l of TRAIN_LABELS) if (l.hasInstances) byTrainId[l.trainId] = l.catId;
  return byTrainId;
})();

export interface SemanticObjectScore {
  instanceId: number;
  labelId: number;
  /** Box [x, y, w, h] at full resolution. */
  bbox: [number, number, number, number];
  /** Pixels at full resolution. */
  area: number;
  /** Mean probability of the object's class inside its mask, by day and by night. */
  dayCoverage: number;
  nightCoverage: number;
  /** dayCoverage - nightCoverage (flag when at or above semanticErasureThreshold). */
  drop: number;
  /** True when the frame abstains or the day coverage is under semanticObjectCoverage. */
  abstained: boolean;
}

export interface SemanticResult {
  /** Share of the labelled grid pixels whose day argmax is the labels' trainId. */
  dayAccuracy: number;
  /** The whole frame abstains (dayAccuracy under semanticFrameAccuracy): no region and no object is scored. */
  abstained: boolean;
  /** Objects of the thing classes of at least erasureMinArea pixels. */
  objects: SemanticObjectScore[];
  /** Candidate regions (cue 'semantic'), flagged or not; empty when the frame abstains. */
  regions: RegionScore[];
}

export interface SemanticInput {
  day: ClassProbabilities;
  night: ClassProbabilities;
  /** The thresholds calibrated for the segmenter that gave the probabilities (SemanticSegmenter.calibration). */
  thresholds: SemanticThresholds;
}

function checkGrids(s: SemanticInput): void {
  const { day, night } = s;
  for (const [p, what] of [[day, 'day'], [night, 'night']] as const) {
    if (p.data.length !== p.classes * p.width * p.height) throw new RangeError(`semantic ${what} probabilities: ${p.data.length} values for ${p.classes}x${p.width}x${p.height}`);
    if (p.classes <= Math.max(...THING_TRAIN_IDS)) throw new RangeError(`semantic ${what} probabilities: ${p.classes} classes; the 19 Cityscapes trainIds were expected`);
  }
  if (day.width !== night.width || day.height !== night.height || day.classes !== night.classes) {
    throw new RangeError(`semantic probabilities: day ${day.classes}x${day.width}x${day.height}, night ${night.classes}x${night.width}x${night.height}; they must match`);
  }
}

/** Labels sampled at the grid cell centres (cell (x, y) covers [x W/w, (x+1) W/w) x ...). */
function gridLabels(labels: LabelMaps, w: number, h: number, scratch: Scratch): { trainIds: Uint8Array; semantic: Uint8Array; instances: Uint16Array } {
  const trainIds = scratch.u8Raw(w * h), semantic = scratch.u8Raw(w * h), instances = scratch.u16Raw(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(labels.height - 1, Math.floor(((y + 0.5) * labels.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(labels.width - 1, Math.floor(((x + 0.5) * labels.width) / w));
      const j = sy * labels.width + sx, i = y * w + x;
      semantic[i] = labels.semantic[j];
      trainIds[i] = TRAIN_ID_LUT[labels.semantic[j]];
      instances[i] = labels.instances[j];
    }
  }
  return { trainIds, semantic, instances };
}

function dayAccuracy(day: ClassProbabilities, trainIds: Uint8Array): number {
  const plane = day.width * day.height;
  let right = 0, counted = 0;
  for (let i = 0; i < plane; i++) {
    const t = trainIds[i];
    if (t === IGNORE) continue;
    counted++;
    let best = 0, k = 0;
    for (let c = 0; c < day.classes; c++) { const v = day.data[c * plane + i]; if (v > best) { best = v; k = c; } }
    if (k === t) right++;
  }
  return counted ? right / counted : 0;
}

export function scoreSemantic(input: SemanticInput, labels: LabelMaps, t: CheckThresholds, scratch: Scratch): SemanticResult {
  checkGrids(input);
  const { day, night } = input;
  const { width: w, height: h } = day;
  const n = w * h;
  // Full-resolution pixels per grid cell along each axis.
  const fx = labels.width / w, fy = labels.height / h, cell = fx * fy;
  const grid = gridLabels(labels, w, h, scratch);
  const accuracy = dayAccuracy(day, grid.trainIds);
  const abstained = accuracy < t.semanticFrameAccuracy;
  const objects = scoreObjects(input, grid, w, fx, fy, cell, t, abstained);
  if (abstained) return { dayAccuracy: accuracy, abstained, objects, regions: [] };

  const gain = scratch.f32Raw(n), evidence = scratch.f32Raw(n), above = scratch.f32Raw(n), best = scratch.u8Raw(n);
  for (let i = 0; i < n; i++) {
    const own = grid.trainIds[i];
    let g = 0, k = 0;
    if (own !== IGNORE) {
      const ownCategory = THING_CATEGORY[own];
      for (const c of THING_TRAIN_IDS) {
        // Covers c === own too: a labelled thing's own class is of its own category, and stuff is never a thing class.
        if (THING_CATEGORY[c] === ownCategory) continue;
        const v = night.data[c * n + i] - day.data[c * n + i];
        if (v > g) { g = v; k = c; }
      }
    }
    gain[i] = g;
    best[i] = k;
    const on = g > t.semanticPixelThreshold;
    above[i] = on ? 1 : 0;
    evidence[i] = on ? (g - t.semanticPixelThreshold) * cell : 0;
  }
  const near = scratch.f32Raw(n), mask = scratch.u8Raw(n);
  boxMean(above, w, h, 1, near, scratch.f32Raw(n));
  for (let i = 0; i < n; i++) mask[i] = near[i] > 1e-4 ? 1 : 0;
  const ids = scratch.i32Raw(n);
  const comps = connectedComponents(mask, w, h, evidence, ids, scratch);
  const regions: RegionScore[] = [];
  for (let k = 0; k < comps.length; k++) {
    const c = comps[k];
    if (!(c.sum > 0)) continue;
    const b = momentBox(c, w, h);
    const x0 = Math.floor(b.x0 * fx), y0 = Math.floor(b.y0 * fy), x1 = Math.ceil(b.x1 * fx), y1 = Math.ceil(b.y1 * fy);
    const predicted = dominantLabel(best, ids, k + 1, c, w, evidence);
    regions.push({
      cue: 'semantic',
      bbox: [x0, y0, x1 - x0, y1 - y0],
      area: c.support * cell,
      labelId: dominantLabel(grid.semantic, ids, k + 1, c, w, evidence),
      score: c.sum,
      predictedLabelId: TRAIN_LABELS[predicted].id,
    });
  }
  return { dayAccuracy: accuracy, abstained, objects, regions };
}

function scoreObjects(
  input: SemanticInput, grid: { instances: Uint16Array }, w: number, fx: number, fy: number, cell: number, t: CheckThresholds, frameAbstains: boolean,
): SemanticObjectScore[] {
  const { day, night } = input;
  const n = w * day.height;
  const things = new Set(THING_TRAIN_IDS);
  interface Acc { id: number; trainId: number; count: number; d: number; nt: number; x0: number; y0: number; x1: number; y1: number }
  const byId = new Map<number, Acc>();
  for (let i = 0; i < n; i++) {
    const v = grid.instances[i];
    if (!isObjectId(v)) continue;
    let a = byId.get(v);
    if (!a) {
      const trainId = TRAIN_ID_LUT[labelIdOf(v)];
      if (!things.has(trainId)) continue;
      a = { id: v, trainId, count: 0, d: 0, nt: 0, x0: w, y0: day.height, x1: 0, y1: 0 };
      byId.set(v, a);
    }
    const x = i % w, y = (i - x) / w;
    a.count++;
    a.d += day.data[a.trainId * n + i];
    a.nt += night.data[a.trainId * n + i];
    if (x < a.x0) a.x0 = x;
    if (x + 1 > a.x1) a.x1 = x + 1;
    if (y < a.y0) a.y0 = y;
    if (y + 1 > a.y1) a.y1 = y + 1;
  }
  const out: SemanticObjectScore[] = [];
  for (const a of [...byId.values()].sort((p, q) => p.id - q.id)) {
    const area = a.count * cell;
    if (area < t.erasureMinArea) continue;
    const dayCoverage = a.d / a.count, nightCoverage = a.nt / a.count;
    const x0 = Math.floor(a.x0 * fx), y0 = Math.floor(a.y0 * fy);
    out.push({
      instanceId: a.id, labelId: labelIdOf(a.id),
      bbox: [x0, y0, Math.ceil(a.x1 * fx) - x0, Math.ceil(a.y1 * fy) - y0],
      area, dayCoverage, nightCoverage, drop: dayCoverage - nightCoverage,
      abstained: frameAbstains || dayCoverage < t.semanticObjectCoverage,
    });
  }
  return out;
}

/** Whether a semantic object score is an erasure at these thresholds. */
export function isSemanticallyErased(o: SemanticObjectScore, t: SemanticThresholds): boolean {
  return !o.abstained && o.drop >= t.semanticErasureThreshold;
}
