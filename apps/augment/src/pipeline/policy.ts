// What happens to labels the checks flagged: keep them, mark their region ignore, or drop the sample.
import { IGNORE_LABEL_ID, isInstanceValue, type Box } from '@nightshift/labels';
import type { Flag } from './checks.ts';
import type { FlagPolicy } from './options.ts';
import type { FlagAction } from './record.ts';
import type { DecodedSample } from './sources.ts';

/** What flagRegion and applyCityscapesPolicy read of a sample. */
export type LabelledSample = Pick<DecodedSample, 'width' | 'height' | 'semantic' | 'instances' | 'objectMask'>;

/**
 * The pixels a flag speaks about: an erased instance's own pixels; for a hallucination box, the
 * box's pixels that belong to no instance (the stuff label there is what the image contradicts).
 */
export function flagRegion(sample: LabelledSample, flag: Flag): Uint8Array | undefined {
  if (flag.instanceId !== undefined) return sample.objectMask(flag.instanceId);
  if (!flag.box || !sample.instances) return undefined;
  const { width, height, instances } = sample;
  const [bx, by, bw, bh] = flag.box as Box;
  const mask = new Uint8Array(width * height);
  for (let y = Math.max(0, Math.floor(by)); y < Math.min(height, Math.ceil(by + bh)); y++) {
    for (let x = Math.max(0, Math.floor(bx)); x < Math.min(width, Math.ceil(bx + bw)); x++) {
      const i = y * width + x;
      if (!isInstanceValue(instances[i])) mask[i] = 1;
    }
  }
  return mask;
}

export interface CityscapesPolicyResult {
  /** Set when labels changed: the labels to write instead of copying the source files. */
  labels?: { semantic: Uint8Array; instances: Uint16Array };
  actions: FlagAction[];
}

/**
 * Cityscapes labels under the policy: `ignore` sets flagged regions to labelId 0 (so labelTrainIds
 * 255) and removes the instance from instanceIds (value 0); `keep` changes nothing.
 */
export function applyCityscapesPolicy(sample: LabelledSample, flags: readonly Flag[], policy: FlagPolicy): CityscapesPolicyResult {
  if (policy === 'drop') return { actions: flags.map((f) => action(f, 'dropped')) };
  if (policy === 'keep' || flags.length === 0 || !sample.semantic || !sample.instances) {
    return { actions: flags.map((f) => action(f, 'kept')) };
  }
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

/** COCO annotation fields for a flagged object under the policy (keep: unchanged; ignore: crowd + ignore). */
export function cocoFlagFields(flagged: boolean, policy: FlagPolicy): { iscrowd?: 1; ignore?: 1 } {
  return flagged && policy === 'ignore' ? { iscrowd: 1, ignore: 1 } : {};
}
