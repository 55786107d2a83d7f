// The consistency checks as the pipeline sees them: one small interface, and the adapter that will
// point at @nightshift/consistency once its API is final. Until then no checker exists and every
// run says "checks: not available" instead of pretending to have checked anything.
import type { Box, SampleObject } from '@nightshift/labels';
import type { RgbImage } from './cyclegan-api.ts';

export type FlagKind = 'erased' | 'hallucinated';

/** One object or region whose label the translated image no longer supports. */
export interface Flag {
  sampleId: string;
  /** Erasure: the instance (Cityscapes instanceIds value, COCO annotation id). */
  instanceId?: number;
  /** Hallucination (and optionally erasure): [x, y, width, height] in pixels. */
  box?: Box;
  /** Cityscapes label id (COCO input: category id) of the object or of the region's stuff. */
  labelId: number;
  className: string;
  score: number;
  threshold: number;
  kind: FlagKind;
}

/** What a check sees of one sample: the source image and its labels. */
export interface CheckSample {
  id: string;
  width: number;
  height: number;
  source: RgbImage;
  objects: readonly SampleObject[];
  /** Cityscapes labelIds (absent for COCO input). */
  semantic?: Uint8Array;
  /** Cityscapes instanceIds (absent for COCO input). */
  instances?: Uint16Array;
  /** The 0/1 mask of one object, by its instanceId. */
  objectMask(instanceId: number): Uint8Array;
}

/**
 * Checks one translated image against its source. May be CPU-heavy: a Checker may hand the work to a
 * worker thread and resolve later; the pipeline keeps several samples in flight.
 */
export interface Checker {
  /** Name and version, recorded in the manifest (part of what a rerun compares). */
  readonly id: string;
  check(sample: CheckSample, translated: RgbImage): Promise<Flag[]>;
}

/** Thresholds and seed handed to the checker factory (from the CLI or a pipeline spec). */
export interface CheckerOptions {
  seed: number;
  thresholds?: Readonly<Record<string, number>>;
}

export interface CheckerAvailability {
  checker?: Checker;
  /** One line for the console, the manifest and the report, e.g. "not available (...)". */
  status: string;
}

/**
 * The checker to use. The lead wires libs/consistency in here (its checkConsistency adapted to
 * Checker); nothing else in the pipeline changes.
 */
export async function loadChecker(_options: CheckerOptions): Promise<CheckerAvailability> {
  return { status: 'not available (libs/consistency is not wired into the pipeline yet)' };
}
