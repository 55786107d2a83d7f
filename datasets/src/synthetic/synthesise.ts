// A stream of complete synthetic samples: scene, exact labels, day and night PNGs and the night faults.
import { generateScene, resolveSize } from './scene.ts';
import { labelsFromParts, type SceneLabels } from './labels.ts';
import { encodePng, shadeParts } from './render.ts';
import { composeParts } from './compose.ts';
import { renderFaults, type FaultTruth } from './faults.ts';
import type { Scene } from './types.ts';

export interface SynthesiseOptions {
  count: number;
  /** Seed of the first sample; sample i uses firstSeed + i. Default 0. */
  firstSeed?: number;
  width?: number;
  height?: number;
  /** Also render the erase/add fault variants (default true). */
  faults?: boolean;
}

export interface SyntheticFault {
  truth: FaultTruth;
  /** Night render of the changed scene; pair it with the ORIGINAL labels. */
  night: Buffer;
}

export interface SyntheticSample {
  /** Stable Cityscapes frame id of the sample: `synthetic_<seed div 10^6>_<seed mod 10^6>`, 6 digits each. */
  id: string;
  seed: number;
  scene: Scene;
  labels: SceneLabels;
  day: Buffer;
  night: Buffer;
  faults: SyntheticFault[];
}

export const SYNTHETIC_CITY = 'synthetic';

export function sampleId(seed: number): string {
  const pad = (n: number) => String(n).padStart(6, '0');
  return `${SYNTHETIC_CITY}_${pad(Math.floor(seed / 1e6))}_${pad(seed % 1e6)}`;
}

export async function* synthesise(options: SynthesiseOptions): AsyncGenerator<SyntheticSample> {
  const { count, firstSeed = 0, faults = true } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`synthesise: count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(firstSeed) || firstSeed < 0 || firstSeed + count - 1 > 0xffffffff) {
    throw new RangeError(`synthesise: seeds firstSeed..firstSeed+count-1 must lie in 0..4294967295, got firstSeed ${firstSeed}`);
  }
  const size = resolveSize(options);
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i;
    const scene = generateScene(seed, size);
    const map = composeParts(scene);
    const labels = labelsFromParts(scene, map);
    const faultList: SyntheticFault[] = [];
    const nightImage = shadeParts(scene, map, 'night');
    const pending: Promise<Buffer>[] = [encodePng(shadeParts(scene, map, 'day')), encodePng(nightImage)];
    const truths: FaultTruth[] = [];
    if (faults) {
      const f = await renderFaults(scene, 'night', nightImage);
      for (const r of [f.erased, f.added]) if (r) {
        truths.push(r.truth);
        pending.push(encodePng(r.image));
      }
    }
    const [day, night, ...faultPngs] = await Promise.all(pending);
    truths.forEach((truth, k) => faultList.push({ truth, night: faultPngs[k] }));
    yield { id: sampleId(seed), seed, scene, labels, day, night, faults: faultList };
  }
}
