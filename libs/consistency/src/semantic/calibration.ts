// The semantic cue's thresholds belong to one set of segmenter weights: they are calibrated for a model and
// kept in that model's card (segmenter.json, "calibration"), with the sha256 of the model file they were
// calibrated on. A card without them, or whose model file has changed since, is refused: the cue would
// otherwise judge with another network's numbers.
import { readFile } from 'node:fs/promises';
import { DatasetError, writeFileAtomic } from '@nightshift/labels';

/** The semantic cue's thresholds (semantic/cue.ts), calibrated per segmenter by `bench/consistency.ts --calibrate`. */
export interface SemanticThresholds {
  /**
   * A grid cell is evidence of a thing the labels do not have there when the night probability of that
   * class exceeds the day one by more than this.
   */
  semanticPixelThreshold: number;
  /**
   * A region is flagged hallucinated when its evidence (sum over its cells, counted in full-resolution
   * pixels, of the gain above semanticPixelThreshold) is at least this. Calibrated on the share of the 0.05
   * false regions per clean image the structural thresholds leave, lifted by the engine-noise margin.
   */
  semanticHallucinationThreshold: number;
  /**
   * An object is flagged erased when its class's mean probability inside its mask drops by at least this
   * from day to night: above every clean calibration drop the structural cue does not flag, plus the
   * engine-noise margin (no more false erasures than the structural cue alone).
   */
  semanticErasureThreshold: number;
  /**
   * The frame abstains when the segmenter's day pixel accuracy against the labels is below this (the 5 %
   * quantile of the calibration frames' day accuracy): the cue speaks on frames it reads about as well as
   * those it was calibrated on.
   */
  semanticFrameAccuracy: number;
  /**
   * An object abstains when its class's mean probability inside its mask by day is below this (the
   * segmenter does not find it by day): of 0.1, 0.2, ..., 0.6 the one whose calibrated erasure threshold
   * finds the most erasures, the lowest on ties.
   */
  semanticObjectCoverage: number;
}

export const SEMANTIC_THRESHOLD_KEYS: readonly (keyof SemanticThresholds)[] = Object.freeze([
  'semanticPixelThreshold', 'semanticHallucinationThreshold', 'semanticErasureThreshold', 'semanticFrameAccuracy', 'semanticObjectCoverage',
]);

/** The card's "calibration": the thresholds, and what they were calibrated on. */
export interface SemanticCalibration {
  /** sha256 (hex) of the model file's bytes the thresholds were calibrated for. */
  modelSha256: string;
  /** The calibration seeds, e.g. "1000..1299". */
  seeds: string;
  /** ISO date of the calibration. */
  date: string;
  /** The command that reproduces it. */
  command: string;
  thresholds: SemanticThresholds;
}

/**
 * What calibrates a card. The pixel threshold (the class probability at which a pixel counts as
 * that class) is not searched: without a valid calibration to keep it from, it is given with --set.
 */
export const CALIBRATE_COMMAND = 'node --import tsx bench/consistency.ts --calibrate --segmenter <folder> --write-card --set semanticPixelThreshold=0.25';

/**
 * The calibration entry `entry` of the card `file`, checked, for the model whose bytes hash to
 * `modelSha256`. Throws a DatasetError naming the card when there is none, a malformed one, or one
 * calibrated for other weights.
 */
export function semanticCalibrationOf(file: string, entry: unknown, modelSha256: string): SemanticCalibration {
  const fail = (problem: string): never => {
    throw new DatasetError(file, `${problem}; calibrate the semantic cue for this model with \`${CALIBRATE_COMMAND}\``);
  };
  const c = entry as Partial<SemanticCalibration> | undefined;
  if (c === undefined) return fail('the card has no "calibration" (the semantic cue\'s thresholds for this model)');
  if (typeof c !== 'object' || c === null || typeof c.thresholds !== 'object' || c.thresholds === null) return fail('"calibration" must be an object with "thresholds"');
  if (typeof c.modelSha256 !== 'string') return fail('"calibration.modelSha256" must be the sha256 of the model file it was calibrated for');
  if (c.modelSha256 !== modelSha256) {
    return fail(`"calibration" was made for a model file with sha256 ${c.modelSha256.slice(0, 12)}…, the model file now has ${modelSha256.slice(0, 12)}… (other weights)`);
  }
  const given = c.thresholds as unknown as Record<string, unknown>;
  const thresholds = {} as SemanticThresholds;
  for (const k of SEMANTIC_THRESHOLD_KEYS) {
    const v = given[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`"calibration.thresholds.${k}" must be a finite number, got ${JSON.stringify(v)}`);
    thresholds[k] = v;
  }
  return Object.freeze({ modelSha256, seeds: String(c.seeds ?? ''), date: String(c.date ?? ''), command: String(c.command ?? ''), thresholds: Object.freeze(thresholds) });
}

/** Replaces the card's "calibration" (nothing else in it), atomically. */
export async function writeSemanticCalibration(file: string, calibration: SemanticCalibration): Promise<void> {
  let card: Record<string, unknown>;
  try {
    card = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DatasetError(file, `cannot read the segmenter card: ${(e as Error).message}`);
  }
  card.calibration = calibration;
  writeFileAtomic(file, `${JSON.stringify(card, null, 2)}\n`);
}
