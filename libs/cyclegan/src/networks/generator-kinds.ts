/**
 * The generator kinds by name, as the reference's define_G knows its netG values. A kind is one file
 * (its step table and a GeneratorKind, see generator.ts) and one line here.
 */
import type { BaseGeneratorArchitecture, Generator, GeneratorKind } from './generator.ts';
import { Generator as PlainGenerator } from './generator.ts';
import type { NetworkOptions } from './network.ts';
import { CUT_GENERATOR } from './cut-generator.ts';
import { BILATERAL_GENERATOR } from './bilateral-generator.ts';
import { RESNET_GENERATOR } from './resnet-generator.ts';
import { UNET_GENERATOR } from './unet-generator.ts';

const KINDS = new Map<string, GeneratorKind>();

/** Adds a kind; its name and class name must be new. */
export function registerGeneratorKind<A extends BaseGeneratorArchitecture>(kind: GeneratorKind<A>): void {
  for (const k of KINDS.values()) {
    if (k.name === kind.name || k.className === kind.className) {
      throw new TypeError(`Generator kind ${JSON.stringify(kind.name)} (${kind.className}) is already registered`);
    }
  }
  KINDS.set(kind.name, kind as unknown as GeneratorKind);
}

registerGeneratorKind(RESNET_GENERATOR);
registerGeneratorKind(UNET_GENERATOR);
registerGeneratorKind(CUT_GENERATOR);
registerGeneratorKind(BILATERAL_GENERATOR);

/** The registered kinds, in registration order. */
export function generatorKinds(): GeneratorKind[] {
  return [...KINDS.values()];
}

/** The kind registered as `name`; a TypeError listing the valid names otherwise. */
export function generatorKind(name: string): GeneratorKind {
  const kind = KINDS.get(name);
  if (kind === undefined) throw new TypeError(`Unknown generator kind ${JSON.stringify(name)}; valid kinds are: ${[...KINDS.keys()].join(', ')}`);
  return kind;
}

/**
 * A generator of a registered kind (reference define_G): freshly initialised, or holding
 * `options.weights`. Options of the kind's own class (a U-Net's inference, dropoutSeed) pass through.
 */
export function defineGenerator(
  kind: string, architecture: object = {}, options: NetworkOptions & Readonly<Record<string, unknown>> = {},
): Generator {
  const k = generatorKind(kind);
  const arch = k.resolve(architecture as Partial<BaseGeneratorArchitecture>);
  return k.create ? k.create(arch, options) : new PlainGenerator(k, arch, options);
}
