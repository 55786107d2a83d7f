import {
  discriminatorArchitectureOf,
  generatorArchitectureOf,
  generatorKindOf,
  resolveArchitecture,
  type CycleGanArchitecture,
  type GeneratorArchitecture,
} from '../config.ts';
import { deriveSeed } from '../random.ts';
import { PatchDiscriminator } from './patch-discriminator.ts';
import type { Generator } from './generator.ts';
import { defineGenerator } from './generator-kinds.ts';
import type { NetworkOptions } from './network.ts';

/** The four networks of a CycleGAN: G_A (A -> B), G_B (B -> A), D_A (judges B), D_B (judges A). */
export interface CycleGanNetworks {
  readonly G_A: Generator<GeneratorArchitecture>;
  readonly G_B: Generator<GeneratorArchitecture>;
  readonly D_A: PatchDiscriminator;
  readonly D_B: PatchDiscriminator;
}

export interface CreateCycleGanOptions {
  /** Base seed; each network gets its own stream derived from it and its name. Default 0. */
  readonly seed?: number;
  readonly initGain?: number;
  readonly trainable?: boolean;
}

/** Freshly initialised networks (reference init_weights 'normal', gain 0.02). */
export function createCycleGanNetworks(
  architecture: Partial<CycleGanArchitecture> = {},
  options: CreateCycleGanOptions = {},
): CycleGanNetworks {
  const arch = resolveArchitecture(architecture);
  const seed = options.seed ?? 0;
  const common = { initGain: options.initGain, trainable: options.trainable };
  return {
    G_A: makeGenerator(generatorArchitectureOf(arch, 'G_A'), { ...common, seed: deriveSeed(seed, 'G_A'), name: 'G_A' }),
    G_B: makeGenerator(generatorArchitectureOf(arch, 'G_B'), { ...common, seed: deriveSeed(seed, 'G_B'), name: 'G_B' }),
    D_A: new PatchDiscriminator(discriminatorArchitectureOf(arch, 'D_A'), { ...common, seed: deriveSeed(seed, 'D_A'), name: 'D_A' }),
    D_B: new PatchDiscriminator(discriminatorArchitectureOf(arch, 'D_B'), { ...common, seed: deriveSeed(seed, 'D_B'), name: 'D_B' }),
  };
}

/** The generator of the architecture's kind (the ResNet unless it names another). */
function makeGenerator(architecture: GeneratorArchitecture, options: NetworkOptions): Generator<GeneratorArchitecture> {
  return defineGenerator(generatorKindOf(architecture), architecture as unknown as Record<string, unknown>, options as NetworkOptions & Record<string, unknown>) as Generator<GeneratorArchitecture>;
}
