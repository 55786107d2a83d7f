// Cityscapes pixel-level semantic labeling scores, exactly as cityscapesScripts'
// evalPixelLevelSemanticLabeling.evaluateImgLists computes them (with evalInstLevelScore and
// evalPixelAccuracy): frames are added one at a time into a confusion matrix over label ids and
// per-class instance statistics, so memory does not grow with the number of frames (beyond one
// small record per frame); result() derives every score from those.
import { DatasetError } from '../errors.ts';
import { KNOWN_ID, labelById, labelIdOf, type LabelCategory } from '../label-table.ts';
import {
  AVG_CLASS_SIZE, CATEGORIES, CONFUSION_SIZE, EVAL_LABEL_IDS, INSTANCE_CATEGORIES, INSTANCE_CLASSES,
} from './eval-tables.ts';
import { categoryInstanceIou, categoryIou, labelInstanceIou, labelIou, meanOfValid } from './scores.ts';

/** One frame: ground truth and prediction as label ids, row-major, one value per pixel. */
export interface EvaluationFrame {
  /** Key in perImageScores (the script keys by prediction file name) and in frames. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Ground-truth labelIds. */
  readonly truth: Uint8Array;
  /** Ground-truth instanceIds (labelId*1000+k for instances). */
  readonly instances: Uint16Array;
  /** Predicted labelIds (predictionToLabelIds converts trainIds). */
  readonly prediction: Uint8Array;
  /** Files named in errors; default: the frame name and what the array is. */
  readonly truthFile?: string;
  readonly instancesFile?: string;
  readonly predictionFile?: string;
}

/** Scores of one frame, ours (the script has no per-frame IoU). */
export interface FrameScore {
  readonly name: string;
  readonly pixels: number;
  /** Pixels whose truth is one of the 19 evaluated classes. */
  readonly evaluatedPixels: number;
  /** Of those, pixels predicted as their truth. */
  readonly correctPixels: number;
  /** correctPixels / evaluatedPixels; NaN on a frame with no evaluated pixel. */
  readonly pixelAccuracy: number;
  /** Mean IoU over the classes present in this frame's truth or prediction; NaN when none is. */
  readonly meanIou: number;
}

/** The script's per-image entry. */
export interface PerImageScore {
  /**
   * As the script computes it, the pixels whose truth is NOT an evaluated class (its mask is
   * `np.in1d(gt, notIgnoredLabels, invert=True)`), despite the name.
   */
  readonly nbNotIgnoredPixels: number;
  /** As the script computes it: of those pixels, the ones whose prediction differs from the truth. */
  readonly nbCorrectPixels: number;
}

type Scores = Record<string, number>;

/** What evaluateImgLists returns (NaN where the script has NaN), and the frames' own scores. */
export interface SemanticEvaluation {
  /** Label name → id, for every row and column of confMatrix. */
  readonly labels: Record<string, number>;
  /** Pixel counts; rows: truth label id, columns: predicted label id. */
  readonly confMatrix: number[][];
  /** Share of all pixels whose truth is each label. */
  readonly priors: Scores;
  readonly classScores: Scores;
  readonly classInstScores: Scores;
  readonly categoryScores: Scores;
  readonly categoryInstScores: Scores;
  /** Mean IoU over the 19 classes, NaN classes excluded. */
  readonly averageScoreClasses: number;
  readonly averageScoreInstClasses: number;
  readonly averageScoreCategories: number;
  readonly averageScoreInstCategories: number;
  readonly perImageScores: Record<string, PerImageScore>;
  readonly frames: readonly FrameScore[];
}

interface WeightedCounts { tp: number; fn: number; tpWeighted: number; fnWeighted: number }
const zeroCounts = (): WeightedCounts => ({ tp: 0, fn: 0, tpWeighted: 0, fnWeighted: 0 });

const MAX_INSTANCE_VALUE = 65536;

/** Accumulates frames; result() may be called at any time and again after more frames. */
export class SemanticEvaluator {
  private readonly confusion = new Float64Array(CONFUSION_SIZE * CONFUSION_SIZE);
  private readonly classCounts = new Map<string, WeightedCounts>(INSTANCE_CLASSES.map((l) => [l.name, zeroCounts()]));
  private readonly categoryCounts = new Map<LabelCategory, WeightedCounts>([...INSTANCE_CATEGORIES.keys()].map((c) => [c, zeroCounts()]));
  private readonly perImage: Record<string, PerImageScore> = {};
  private readonly frameScores: FrameScore[] = [];
  // Per-frame scratch, reused.
  private readonly framePairs = new Uint32Array(256 * 256);
  private readonly frameConfusion = new Uint32Array(CONFUSION_SIZE * CONFUSION_SIZE);
  private readonly instanceSize = new Uint32Array(MAX_INSTANCE_VALUE);
  private readonly instanceHits = new Uint32Array(MAX_INSTANCE_VALUE);
  private readonly instanceCategoryHits = new Uint32Array(MAX_INSTANCE_VALUE);
  /** Label id → 1 + index of the instance category it belongs to (0: none). */
  private readonly categoryOfPrediction: Uint8Array = (() => {
    const lut = new Uint8Array(256);
    [...INSTANCE_CATEGORIES.values()].forEach((ids, i) => { for (const id of ids) lut[id] = i + 1; });
    return lut;
  })();

  /** Frames added so far. */
  get frameCount(): number {
    return this.frameScores.length;
  }

  /**
   * Adds one frame and returns its own scores. A bad frame (sizes that disagree, ids outside the
   * label table) throws a DatasetError naming its file and changes nothing.
   */
  add(frame: EvaluationFrame): FrameScore {
    const { name, width, height, truth, instances, prediction } = frame;
    const pixels = width * height;
    const truthFile = frame.truthFile ?? `${name} (truth)`;
    const predictionFile = frame.predictionFile ?? `${name} (prediction)`;
    const instancesFile = frame.instancesFile ?? `${name} (instances)`;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new DatasetError(truthFile, `invalid size ${width}x${height}`);
    }
    if (truth.length !== pixels) throw new DatasetError(truthFile, `${truth.length} values for ${width}x${height} pixels`);
    if (instances.length !== pixels) throw new DatasetError(instancesFile, `${instances.length} values for ${width}x${height} pixels of ${truthFile}`);
    if (prediction.length !== pixels) throw new DatasetError(predictionFile, `${prediction.length} values for the truth's ${width}x${height} pixels (${truthFile})`);
    if (Object.hasOwn(this.perImage, name)) throw new DatasetError(predictionFile, `frame ${name} was already evaluated`);

    // One pass over a 256x256 table (every byte pair), so that ids outside the label table are
    // found and named before anything is counted; then folded into the label-id matrix.
    const pairs = this.framePairs;
    pairs.fill(0);
    for (let i = 0; i < pixels; i++) pairs[(truth[i] << 8) | prediction[i]]++;
    const unknownTruth = unknownIds(pairs, (value, other) => (value << 8) | other);
    if (unknownTruth) throw new DatasetError(truthFile, `truth label ${unknownTruth} not in the Cityscapes label table`);
    const unknownPredicted = unknownIds(pairs, (value, other) => (other << 8) | value);
    if (unknownPredicted) throw new DatasetError(predictionFile, `predicted label ${unknownPredicted} not in the Cityscapes label table`);
    const conf = this.frameConfusion;
    for (const t of EVAL_LABEL_IDS) {
      for (const p of EVAL_LABEL_IDS) conf[t * CONFUSION_SIZE + p] = pairs[(t << 8) | p];
    }

    const counted = this.countInstances(instances, prediction, instancesFile);

    let evaluatedPixels = 0;
    let correctPixels = 0;
    let ignoredPixels = 0;
    let ignoredDiffering = 0;
    for (const t of EVAL_LABEL_IDS) {
      const ignored = labelById(t)!.ignoreInEval;
      for (const p of EVAL_LABEL_IDS) {
        const n = conf[t * CONFUSION_SIZE + p];
        if (n === 0) continue;
        if (ignored) {
          ignoredPixels += n;
          if (p !== t) ignoredDiffering += n;
        } else {
          evaluatedPixels += n;
          if (p === t) correctPixels += n;
        }
      }
    }
    const score: FrameScore = Object.freeze({
      name, pixels, evaluatedPixels, correctPixels,
      pixelAccuracy: evaluatedPixels === 0 ? NaN : correctPixels / evaluatedPixels,
      meanIou: meanOfValid(EVAL_LABEL_IDS.map((id) => labelIou(conf, id))),
    });

    for (let i = 0; i < conf.length; i++) this.confusion[i] += conf[i];
    for (const c of counted) {
      add(this.classCounts.get(c.className)!, c.tp, c.size, c.weight);
      if (c.category) add(this.categoryCounts.get(c.category)!, c.categoryTp, c.size, c.weight);
    }
    this.perImage[name] = Object.freeze({ nbNotIgnoredPixels: ignoredPixels, nbCorrectPixels: ignoredDiffering });
    this.frameScores.push(score);
    return score;
  }

  /** Per instance (values > 1000, ascending, as np.unique gives them): size and hits, checked. */
  private countInstances(instances: Uint16Array, prediction: Uint8Array, instancesFile: string) {
    const size = this.instanceSize;
    const hits = this.instanceHits;
    const categoryHits = this.instanceCategoryHits;
    const ofPrediction = this.categoryOfPrediction;
    const seen: number[] = [];
    for (let i = 0; i < instances.length; i++) {
      const v = instances[i];
      if (v <= 1000) continue;
      if (size[v]++ === 0) seen.push(v);
      const labelId = labelIdOf(v);
      const p = prediction[i];
      if (p === labelId) hits[v]++;
      if (ofPrediction[p] !== 0 && ofPrediction[p] === ofPrediction[labelId]) categoryHits[v]++;
    }
    seen.sort((a, b) => a - b);
    const counted: { className: string; category: LabelCategory | undefined; size: number; tp: number; categoryTp: number; weight: number }[] = [];
    let problem: string | undefined;
    for (const v of seen) {
      const labelId = labelIdOf(v);
      const label = labelById(labelId);
      if (!label) problem ??= `instance value ${v} (${size[v]} pixels) has label id ${labelId}, which is not in the label table`;
      else if (!label.ignoreInEval && !label.hasInstances) problem ??= `instance value ${v} (${size[v]} pixels) belongs to ${label.name}, a class without instances`;
      else if (!label.ignoreInEval) {
        counted.push({
          className: label.name,
          category: INSTANCE_CATEGORIES.has(label.category) ? label.category : undefined,
          size: size[v], tp: hits[v], categoryTp: categoryHits[v],
          weight: AVG_CLASS_SIZE[label.name] / size[v],
        });
      }
      size[v] = 0;
      hits[v] = 0;
      categoryHits[v] = 0;
    }
    if (problem) throw new DatasetError(instancesFile, problem);
    return counted;
  }

  /** Every score, derived from what was added so far. */
  result(): SemanticEvaluation {
    const conf = this.confusion;
    const labels: Record<string, number> = {};
    const priors: Scores = {};
    const classScores: Scores = {};
    const classInstScores: Scores = {};
    let total = 0;
    for (let i = 0; i < conf.length; i++) total += conf[i];
    const confMatrix: number[][] = [];
    for (let r = 0; r < CONFUSION_SIZE; r++) confMatrix.push(Array.from(conf.subarray(r * CONFUSION_SIZE, (r + 1) * CONFUSION_SIZE)));
    for (const id of EVAL_LABEL_IDS) {
      const name = labelById(id)!.name;
      labels[name] = id;
      priors[name] = confMatrix[id].reduce((a, b) => a + b, 0) / total;
      classScores[name] = labelIou(conf, id);
      const counts = this.classCounts.get(name);
      classInstScores[name] = labelInstanceIou(conf, id, counts && { tp: counts.tpWeighted, fn: counts.fnWeighted });
    }
    const categoryScores: Scores = {};
    const categoryInstScores: Scores = {};
    for (const category of CATEGORIES) {
      categoryScores[category] = categoryIou(conf, category);
      const counts = this.categoryCounts.get(category);
      categoryInstScores[category] = categoryInstanceIou(conf, category, INSTANCE_CATEGORIES.get(category), counts && { tp: counts.tpWeighted, fn: counts.fnWeighted });
    }
    return {
      labels, confMatrix, priors, classScores, classInstScores, categoryScores, categoryInstScores,
      averageScoreClasses: meanOfValid(Object.values(classScores)),
      averageScoreInstClasses: meanOfValid(Object.values(classInstScores)),
      averageScoreCategories: meanOfValid(Object.values(categoryScores)),
      averageScoreInstCategories: meanOfValid(Object.values(categoryInstScores)),
      perImageScores: { ...this.perImage },
      frames: [...this.frameScores],
    };
  }
}

function add(counts: WeightedCounts, tp: number, size: number, weight: number): void {
  const fn = size - tp;
  counts.tp += tp;
  counts.fn += fn;
  counts.tpWeighted += tp * weight;
  counts.fnWeighted += fn * weight;
}

/** "id 40 (12 pixels), id 77 (3 pixels)" for the values outside the label table, or undefined. */
function unknownIds(pairs: Uint32Array, index: (value: number, other: number) => number): string | undefined {
  const found: string[] = [];
  for (let value = 0; value < 256; value++) {
    if (KNOWN_ID[value]) continue;
    let n = 0;
    for (let other = 0; other < 256; other++) n += pairs[index(value, other)];
    if (n > 0) found.push(`${value} (${n} pixels)`);
  }
  return found.length === 0 ? undefined : `id${found.length > 1 ? 's' : ''} ${found.join(', ')}`;
}
