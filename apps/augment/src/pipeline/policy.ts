// The label policy (--on-flag): what happens to labels the checks flagged. keep: nothing; ignore: the
// flagged region is marked ignore in every output format; drop: the sample is left out. Each output
// format's writer asks the one LabelPolicy what to write.
import {
  IGNORE_LABEL_ID, isInstanceValue, rleArea, rleEncode, rleToBbox, rleToCompressed,
  type Box, type CocoAnnotation, type CocoCategory,
} from '@nightshift/labels';
import type { Flag } from './checks.ts';
import type { FlagPolicy } from './options.ts';
import type { FlagAction } from './record.ts';
import type { DecodedSample } from './sources.ts';

type AnnotationFields = Omit<CocoAnnotation, 'id' | 'image_id'>;

/** The pixels of a box, clipped to the image. */
function boxMask(box: Box, width: number, height: number, keep: (i: number) => boolean = () => true): Uint8Array {
  const [bx, by, bw, bh] = box;
  const mask = new Uint8Array(width * height);
  for (let y = Math.max(0, Math.floor(by)); y < Math.min(height, Math.ceil(by + bh)); y++) {
    for (let x = Math.max(0, Math.floor(bx)); x < Math.min(width, Math.ceil(bx + bw)); x++) {
      const i = y * width + x;
      if (keep(i)) mask[i] = 1;
    }
  }
  return mask;
}

/** Cityscapes labels of one frame, as the policy reads them. */
export interface CityscapesLabelView {
  width: number;
  height: number;
  semantic: Uint8Array;
  instances: Uint16Array;
  objectMask(instanceId: number): Uint8Array;
}

/**
 * The Cityscapes pixels a flag speaks about: an erased instance's own pixels; for a hallucination
 * box, the box's pixels that belong to no instance (the stuff label there is what the image contradicts).
 */
export function flagRegion(labels: CityscapesLabelView, flag: Flag): Uint8Array | undefined {
  if (flag.instanceId !== undefined) return labels.objectMask(flag.instanceId);
  if (!flag.box) return undefined;
  const { instances } = labels;
  return boxMask(flag.box as Box, labels.width, labels.height, (i) => !isInstanceValue(instances[i]));
}

export interface CityscapesPolicyResult {
  /** Set when labels changed: the labels to write instead of copying the source files. */
  labels?: { semantic: Uint8Array; instances: Uint16Array };
  actions: FlagAction[];
}

/** The flags that are no annotation of the sample (hallucination boxes): the image's own flags. */
export function imageFlags(sample: DecodedSample, flags: readonly Flag[]): Flag[] {
  const objectIds = new Set(sample.objects.map((o) => o.instanceId));
  return flags.filter((f) => f.instanceId === undefined || !objectIds.has(f.instanceId));
}

export interface LabelPolicy {
  readonly policy: FlagPolicy;
  /**
   * Cityscapes labels: `ignore` sets flagged regions to labelId 0 (so labelTrainIds 255) and removes
   * the instance from instanceIds (value 0); `keep` changes nothing. For a COCO sample, only the
   * actions (its labels are not Cityscapes files).
   */
  cityscapes(sample: DecodedSample, flags: readonly Flag[]): CityscapesPolicyResult;
  /** The fields a flagged COCO annotation gets: under ignore, crowd + ignore. */
  cocoAnnotationFields(flagged: boolean): { iscrowd?: 1; ignore?: 1 };
  /**
   * Under ignore, the COCO ignore regions of the image's own flags (hallucination boxes): the box as
   * an iscrowd RLE with `ignore: 1`, once per category, because COCO has no class-less ignore region
   * (COCOeval ignores a crowd region only for detections of its own category).
   */
  cocoIgnoreRegions(sample: DecodedSample, flags: readonly Flag[], categories: readonly CocoCategory[], sourceImageId: number | string): AnnotationFields[];
}

export function labelPolicy(policy: FlagPolicy): LabelPolicy {
  return {
    policy,
    cityscapes(sample, flags) {
      if ('semantic' in sample) return applyCityscapesPolicy(sample, flags, policy);
      return { actions: flags.map((f) => action(f, policy === 'drop' ? 'dropped' : policy === 'ignore' ? 'ignored' : 'kept')) };
    },
    cocoAnnotationFields: (flagged) => (flagged && policy === 'ignore' ? { iscrowd: 1, ignore: 1 } : {}),
    cocoIgnoreRegions(sample, flags, categories, sourceImageId) {
      if (policy !== 'ignore') return [];
      return imageFlags(sample, flags).filter((f) => f.box).flatMap((flag) => {
        const rle = rleEncode(boxMask(flag.box as Box, sample.width, sample.height), sample.height, sample.width);
        const area = rleArea(rle);
        if (area === 0) return [];
        const region = { segmentation: rleToCompressed(rle), area, bbox: rleToBbox(rle), iscrowd: 1 as const, ignore: 1 };
        return categories.map((c) => ({ category_id: c.id, ...region, nightshift: { source_image_id: sourceImageId, flags: [flag] } }));
      });
    },
  };
}

/** Cityscapes labels under the policy (LabelPolicy.cityscapes). */
export function applyCityscapesPolicy(sample: CityscapesLabelView, flags: readonly Flag[], policy: FlagPolicy): CityscapesPolicyResult {
  if (policy === 'drop') return { actions: flags.map((f) => action(f, 'dropped')) };
  if (policy === 'keep' || flags.length === 0) return { actions: flags.map((f) => action(f, 'kept')) };
  const semantic = sample.semantic.slice();
  const instances = sample.instances.slice();
  const actions = flags.map((flag) => {
    const region = flagRegion(sample, flag);
    let pixels = 0;
    if (region) {
      for (let i = 0; i < region.length; i++) {
        if (region[i] && (semantic[i] !== IGNORE_LABEL_ID || instances[i] !== IGNORE_LABEL_ID)) {
          semantic[i] = IGNORE_LABEL_ID;
          instances[i] = IGNORE_LABEL_ID;
          pixels++;
        }
      }
    }
    return { ...action(flag, 'ignored'), pixels };
  });
  return { labels: { semantic, instances }, actions };
}

function action(flag: Flag, what: FlagAction['action']): FlagAction {
  return { kind: flag.kind, ...(flag.instanceId !== undefined ? { instanceId: flag.instanceId } : {}), action: what };
}
