// IoU scores from a confusion matrix (rows: truth label id, columns: predicted label id), as
// cityscapesScripts' getIouScoreForLabel / getIouScoreForCategory and their instance variants
// define them. NaN where a score is undefined (an ignored label, or nothing to divide).
import { labelById, type LabelCategory } from '../label-table.ts';
import { CONFUSION_SIZE, EVAL_LABEL_IDS, categoryEvalIds } from './eval-tables.ts';

/** A square confusion matrix of CONFUSION_SIZE² pixel counts, row-major. */
export type ConfusionMatrix = Float64Array | Uint32Array;

const notIgnoredRows: readonly number[] = EVAL_LABEL_IDS.filter((id) => !labelById(id)!.ignoreInEval);

function rowSum(conf: ConfusionMatrix, row: number): number {
  let s = 0;
  for (let c = 0; c < CONFUSION_SIZE; c++) s += conf[row * CONFUSION_SIZE + c];
  return s;
}

/** Pixels predicted as one of `columns` whose truth is not ignored and not one of `exclude`. */
function falsePositives(conf: ConfusionMatrix, columns: readonly number[], exclude: (row: number) => boolean): number {
  let fp = 0;
  for (const r of notIgnoredRows) {
    if (exclude(r)) continue;
    for (const c of columns) fp += conf[r * CONFUSION_SIZE + c];
  }
  return fp;
}

function ratio(tp: number, denom: number): number {
  return denom === 0 ? NaN : tp / denom;
}

/** IoU of one label. */
export function labelIou(conf: ConfusionMatrix, id: number): number {
  if (labelById(id)!.ignoreInEval) return NaN;
  const tp = conf[id * CONFUSION_SIZE + id];
  const fn = rowSum(conf, id) - tp;
  const fp = falsePositives(conf, [id], (r) => r === id);
  return ratio(tp, tp + fp + fn);
}

/** iIoU of one label: true positives and false negatives weighted per instance, false positives as for IoU. */
export function labelInstanceIou(conf: ConfusionMatrix, id: number, weighted: { tp: number; fn: number } | undefined): number {
  if (labelById(id)!.ignoreInEval || !weighted) return NaN;
  const fp = falsePositives(conf, [id], (r) => r === id);
  return ratio(weighted.tp, weighted.tp + fp + weighted.fn);
}

/** IoU of a category: its labels' pixels merged. */
export function categoryIou(conf: ConfusionMatrix, category: LabelCategory): number {
  const ids = categoryEvalIds(category);
  if (ids.length === 0) return NaN;
  let tp = 0;
  let rows = 0;
  for (const r of ids) {
    rows += rowSum(conf, r);
    for (const c of ids) tp += conf[r * CONFUSION_SIZE + c];
  }
  const fp = falsePositives(conf, ids, (r) => labelById(r)!.category === category);
  return ratio(tp, tp + fp + (rows - tp));
}

/** iIoU of a category; `hitIds` are the label ids that count as a hit (ignored labels included). */
export function categoryInstanceIou(
  conf: ConfusionMatrix, category: LabelCategory, hitIds: readonly number[] | undefined, weighted: { tp: number; fn: number } | undefined,
): number {
  if (!hitIds || !weighted) return NaN;
  const fp = falsePositives(conf, hitIds, (r) => labelById(r)!.category === category);
  return ratio(weighted.tp, weighted.tp + fp + weighted.fn);
}

/** Mean of the scores that are not NaN; NaN when none is. */
export function meanOfValid(scores: Iterable<number>): number {
  let n = 0;
  let sum = 0;
  for (const s of scores) {
    if (Number.isNaN(s)) continue;
    n++;
    sum += s;
  }
  return n === 0 ? NaN : sum / n;
}
