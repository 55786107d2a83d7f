// What cityscapesScripts' evalPixelLevelSemanticLabeling evaluates, derived from the label table:
// the confusion matrix spans every label id >= 0 (ignored ones too), IoU is defined for the labels
// not ignoreInEval, iIoU for those that also have instances, and category iIoU for the categories
// whose every label (id >= 0) has instances.
import { DRAWABLE_LABELS, LABELS, type Label, type LabelCategory } from '../label-table.ts';

/** Label ids the confusion matrix spans (evalLabels: every id >= 0), ascending. */
export const EVAL_LABEL_IDS: readonly number[] = Object.freeze(DRAWABLE_LABELS.map((l) => l.id).sort((a, b) => a - b));
/** Side of the confusion matrix: the largest label id + 1. */
export const CONFUSION_SIZE = Math.max(...EVAL_LABEL_IDS) + 1;

/**
 * Mean pixel size of an instance per class over the Cityscapes training set: the script's
 * `avgClassSize`, the weights of iIoU (an instance counts as if it had this size).
 */
export const AVG_CLASS_SIZE: Readonly<Record<string, number>> = Object.freeze({
  bicycle: 4672.3249222261,
  caravan: 36771.8241758242,
  motorcycle: 6298.7200839748,
  rider: 3930.4788056518,
  bus: 35732.1511111111,
  train: 67583.7075812274,
  car: 12794.0202738185,
  person: 3462.4756337644,
  truck: 27855.1264367816,
  trailer: 16926.9763313609,
});

/** The labels scored by IoU (not ignoreInEval), in id order: the 19 classes. */
export const EVAL_CLASSES: readonly Label[] = Object.freeze(DRAWABLE_LABELS.filter((l) => !l.ignoreInEval));

/** Labels with an iIoU (instances and not ignoreInEval). */
export const INSTANCE_CLASSES: readonly Label[] = Object.freeze(DRAWABLE_LABELS.filter((l) => l.hasInstances && !l.ignoreInEval));
for (const l of INSTANCE_CLASSES) {
  if (!(l.name in AVG_CLASS_SIZE)) throw new Error(`no average instance size for ${l.name}`);
}

/** Categories in the order labels.py's category2labels meets them. */
export const CATEGORIES: readonly LabelCategory[] = Object.freeze([...new Set(LABELS.map((l) => l.category))]);

/** Every label of a category, license plate (id -1) included, as category2labels holds them. */
export const categoryLabels = (category: LabelCategory): Label[] => LABELS.filter((l) => l.category === category);

/** Label ids of a category that count in its IoU: not ignoreInEval, id >= 0. */
export const categoryEvalIds = (category: LabelCategory): number[] =>
  categoryLabels(category).filter((l) => !l.ignoreInEval && l.id >= 0).map((l) => l.id);

/**
 * Categories with an iIoU, with the label ids (ignored ones included) that count as a hit: those
 * whose every label with id >= 0 has instances (human, vehicle).
 */
export const INSTANCE_CATEGORIES: ReadonlyMap<LabelCategory, readonly number[]> = new Map(
  CATEGORIES.flatMap((category) => {
    const labels = categoryLabels(category).filter((l) => l.id >= 0);
    return labels.every((l) => l.hasInstances) ? [[category, Object.freeze(labels.map((l) => l.id))] as const] : [];
  }),
);
