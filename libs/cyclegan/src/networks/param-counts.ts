import type { DiscriminatorArchitecture, GeneratorArchitecture } from '../config.ts';
import { countParams } from './parameters.ts';
import { patchDiscriminatorSpecs } from './patch-discriminator.ts';
import { resnetGeneratorSpecs } from './resnet-generator.ts';

/** Parameters of a ResnetGenerator, without allocating it (defaults: 11,378,179). */
export function generatorParamCount(architecture: Partial<GeneratorArchitecture> = {}): number {
  return countParams(resnetGeneratorSpecs(architecture));
}

/** Parameters of a PatchDiscriminator, without allocating it (defaults: 2,764,737). */
export function discriminatorParamCount(architecture: Partial<DiscriminatorArchitecture> = {}): number {
  return countParams(patchDiscriminatorSpecs(architecture));
}
