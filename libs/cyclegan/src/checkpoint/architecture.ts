/**
 * Which architecture a checkpoint's network has: its config.json's, or, for a bare state_dict, the
 * one read off the tensors (the generator kinds read their own: networks/resnet-generator.ts), and
 * whether the caller's expectation agrees.
 */
import { DatasetError } from '@nightshift/labels';
import { resolveDiscriminatorArchitecture, type CycleGanArchitecture, type DiscriminatorArchitecture, type NetworkName } from '../config.ts';
import { convShape, keysPreview } from '../networks/state-dict-shapes.ts';
import type { SafetensorsEntry } from '../safetensors.ts';
import { describeArchitecture, sameArchitecture } from './config.ts';
import type { ResolvedWeights } from './resolve-weights.ts';

/** ndf, nLayers and inputNc read off an NLayerDiscriminator state_dict. */
export function inferDiscriminatorArchitecture(tensors: ReadonlyMap<string, SafetensorsEntry>, file: string): DiscriminatorArchitecture {
  const first = convShape(tensors, 'model.0.weight', file, 'NLayerDiscriminator');
  let convs = 1;
  while (tensors.has(`model.${2 + 3 * (convs - 1)}.weight`)) convs++;
  if (convs < 3) throw new DatasetError(file, `not an NLayerDiscriminator state_dict: ${convs} conv layers, at least 3 expected (${keysPreview(tensors)})`);
  try {
    return resolveDiscriminatorArchitecture({ ndf: first[0], inputNc: first[1], nLayers: convs - 2 });
  } catch (error) {
    throw new DatasetError(file, `inferred discriminator architecture is invalid: ${(error as Error).message}`);
  }
}

/** The architecture to build (config.json's or inferred) and how messages name that expectation. */
export function pickArchitecture<A extends object>(
  weights: ResolvedWeights,
  fromConfig: (arch: CycleGanArchitecture, name: NetworkName) => A,
  infer: () => A,
  requested: Partial<A> | undefined,
  resolve: (a: Partial<A>) => A,
): { architecture: A; expectation: string } {
  let base: A;
  let source: string;
  if (weights.config !== undefined) {
    base = fromConfig(weights.config.architecture, weights.config.name);
    source = `${weights.config.path} (${weights.config.name}: ${describeArchitecture(base)})`;
  } else {
    base = infer();
    source = `the architecture inferred from the file (${describeArchitecture(base)})`;
  }
  if (requested !== undefined) {
    const wanted = resolve({ ...base, ...requested });
    if (!sameArchitecture(wanted, base)) {
      throw new DatasetError(weights.file, `requested architecture (${describeArchitecture(wanted)}) does not match ${source}`);
    }
  }
  return { architecture: base, expectation: source };
}

