// The consistency checks as the pipeline sees them: one small interface, and its adapter to
// @nightshift/consistency.
import type { Box, SampleObject } from '@nightshift/labels';
import type { RgbImage } from '@nightshift/cyclegan';
import { createHash } from 'node:crypto';
import {
  DEFAULT_THRESHOLDS, SEMANTIC_THRESHOLD_KEYS, SemanticSegmenter, checkConsistency, resolveThresholds, type CheckThresholds, type LabelMaps,
} from '@nightshift/consistency';
import { BuildRequestError } from './errors.ts';

export type FlagKind = 'erased' | 'hallucinated';
/** Which cues the checks run: the structural ones, or those and the semantic cue (a segmenter). */
export const CHECK_CUES = ['structural', 'all'] as const;
export type CheckCues = (typeof CHECK_CUES)[number];

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
  /** The cue that raised the flag (structure, light or semantic), where the checker says. */
  cue?: string;
  /** Hallucinated by the semantic cue: the class the segmenter finds there at night. */
  predictedClassName?: string;
}

/**
 * What the semantic cue said of a frame it ran on: its day accuracy against the labels, whether it
 * abstained on the whole frame, and the objects (instanceIds of the sample) it abstained on.
 */
export interface SemanticVerdict {
  dayAccuracy: number;
  abstained: boolean;
  abstainedObjects: number[];
  /** Objects it judged or abstained on (the six thing classes, large enough). */
  objects: number;
}

/** A check's result: the flags, and the semantic cue's verdict where it ran. */
export interface CheckOutcome {
  flags: Flag[];
  semantic?: SemanticVerdict;
}

/** What a check sees of one sample: the source image and its labels. */
export interface CheckSample {
  id: string;
  width: number;
  height: number;
  source: RgbImage;
  objects: readonly SampleObject[];
  /**
   * Cityscapes labelIds and instanceIds: the sample's own for Cityscapes input; for COCO input, the
   * annotations drawn by cocoLabelMaps (categories that are no Cityscapes class are not checked, and
   * with no stuff labels the hallucination check finds no stuff region to look in).
   */
  labels: LabelMaps;
  /** The object (instanceId of `objects`) that an instanceIds value of `labels` stands for. */
  sourceIdOf(value: number): number;
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
  check(sample: CheckSample, translated: RgbImage): Promise<CheckOutcome>;
}

/** Thresholds and seed handed to the checker factory (from the CLI or a pipeline spec). */
export interface CheckerOptions {
  seed: number;
  thresholds?: Readonly<Record<string, number>>;
  /** Default 'structural'. */
  cues?: CheckCues;
  /** 'all': the segmenter folder (segmenter.json and its model). */
  segmenter?: string;
}

export interface CheckerAvailability {
  checker?: Checker;
  /** One line for the console, the manifest and the report, e.g. "not available (...)". */
  status: string;
}

/** libs/consistency's erasure and hallucination checks behind the pipeline's Checker interface. */
class ConsistencyChecker implements Checker {
  readonly id: string;

  constructor(private readonly thresholds: Partial<CheckThresholds>, private readonly segmenter?: SemanticSegmenter) {
    // The id goes into the manifest, so changed thresholds (or another segmenter) rebuild the samples they affect.
    const digest = createHash('sha256').update(JSON.stringify({ ...segmenter?.calibration?.thresholds, ...resolveThresholds(thresholds) })).digest('hex').slice(0, 12);
    this.id = `nightshift-consistency (thresholds ${digest}${segmenter ? `; semantic cue, segmenter ${segmenter.modelHash.slice(0, 12)}` : '; structural cues'})`;
  }

  async check(sample: CheckSample, translated: RgbImage): Promise<CheckOutcome> {
    const semantic = await this.segmenter?.semanticInput(sample.source, translated, sample.id);
    const result = checkConsistency({ sampleId: sample.id, source: sample.source, output: translated, labels: sample.labels, semantic }, this.thresholds);
    const objects = new Map(sample.objects.map((o) => [o.instanceId, o]));
    const flags = result.flags.map((f): Flag => {
      const instanceId = f.instanceId === undefined ? undefined : sample.sourceIdOf(f.instanceId);
      const object = instanceId === undefined ? undefined : objects.get(instanceId);
      return {
        sampleId: sample.id,
        ...(instanceId === undefined ? {} : { instanceId }),
        box: f.bbox,
        labelId: object?.labelId ?? f.labelId,
        className: object?.name ?? f.className,
        score: f.score,
        threshold: f.threshold,
        kind: f.kind,
        cue: f.cue,
        ...(f.predictedClassName ? { predictedClassName: f.predictedClassName } : {}),
      };
    });
    if (!result.semantic) return { flags };
    const { dayAccuracy, abstained, objects: scored } = result.semantic;
    return {
      flags,
      semantic: {
        dayAccuracy: Math.round(dayAccuracy * 1e4) / 1e4,
        abstained,
        abstainedObjects: scored.filter((o) => o.abstained).map((o) => sample.sourceIdOf(o.instanceId)),
        objects: scored.length,
      },
    };
  }
}

/** The checker to use, with thresholds from the CLI or a pipeline spec over the calibrated defaults. */
export async function loadChecker(options: CheckerOptions): Promise<CheckerAvailability> {
  const known = new Set([...Object.keys(DEFAULT_THRESHOLDS), ...SEMANTIC_THRESHOLD_KEYS]);
  const unknown = Object.keys(options.thresholds ?? {}).filter((k) => !known.has(k));
  if (unknown.length) throw new BuildRequestError(`unknown check threshold ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  if ((options.cues ?? 'structural') === 'structural') {
    const checker = new ConsistencyChecker((options.thresholds ?? {}) as Partial<CheckThresholds>);
    return { checker, status: 'erasure and hallucination checks, structural cues (libs/consistency)' };
  }
  if (!options.segmenter) throw new BuildRequestError('the semantic cue needs a segmenter folder');
  // Opened (and checked) here, before any sample is built: a wrong model stops the run naming its file.
  const segmenter = await SemanticSegmenter.open(options.segmenter);
  const checker = new ConsistencyChecker((options.thresholds ?? {}) as Partial<CheckThresholds>, segmenter);
  return { checker, status: `erasure and hallucination checks, structural and semantic cues (libs/consistency; segmenter ${segmenter.file})` };
}
