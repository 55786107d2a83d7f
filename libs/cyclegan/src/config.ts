/**
 * Architecture options of the reference CycleGAN (junyanz options/base_options.py), in one place and
 * validated up front. G_A maps A (inputNc channels) to B (outputNc); G_B maps back; D_A judges B
 * images, D_B judges A images (as in models/cycle_gan_model.py).
 */

/** The generator kinds: the reference ResNet, and the structure-preserving bilateral grid (networks/bilateral-generator.ts). */
export type GeneratorKindName = 'resnet' | 'bilateral';
export const GENERATOR_KINDS: readonly GeneratorKindName[] = Object.freeze(['resnet', 'bilateral']);

/** The generator kind of an architecture: absent means 'resnet', so ResNet configs read and write as before the kinds. */
export function generatorKindOf(architecture: { readonly generator?: GeneratorKindName }): GeneratorKindName {
  return architecture.generator ?? 'resnet';
}

export interface CycleGanArchitecture {
  /** Generator kind; absent for the ResNet. */
  readonly generator?: GeneratorKindName;
  /** Generator filters in the first conv layer (reference `--ngf`). */
  readonly ngf: number;
  /** Residual blocks of the ResNet generator (`resnet_9blocks` = 9, `resnet_6blocks` = 6). */
  readonly nBlocks: number;
  /** Discriminator filters in the first conv layer (reference `--ndf`). */
  readonly ndf: number;
  /** Stride-2 conv layers of the PatchGAN discriminator (`basic` = 3, i.e. 70x70 patches). */
  readonly nLayers: number;
  /** Channels of domain A images. */
  readonly inputNc: number;
  /** Channels of domain B images. */
  readonly outputNc: number;
}

export interface GeneratorArchitecture {
  /** Absent for the ResNet. */
  readonly generator?: GeneratorKindName;
  readonly inputNc: number;
  readonly outputNc: number;
  readonly ngf: number;
  readonly nBlocks: number;
}

export interface DiscriminatorArchitecture {
  readonly inputNc: number;
  readonly ndf: number;
  readonly nLayers: number;
}

export const DEFAULT_ARCHITECTURE: Readonly<CycleGanArchitecture> = Object.freeze({
  ngf: 64,
  nBlocks: 9,
  ndf: 64,
  nLayers: 3,
  inputNc: 3,
  outputNc: 3,
});

/** Allowed range of each option: wide enough for any sensible network, narrow enough to catch typos. */
type NumericOption = Exclude<keyof CycleGanArchitecture, 'generator'>;

const LIMITS: Readonly<Record<NumericOption, readonly [number, number]>> = Object.freeze({
  ngf: [1, 1024],
  nBlocks: [0, 64],
  ndf: [1, 1024],
  nLayers: [0, 8],
  inputNc: [1, 64],
  outputNc: [1, 64],
});

const KEYS = Object.keys(LIMITS) as NumericOption[];

function checkKind(value: unknown, where: string): GeneratorKindName {
  if (!(GENERATOR_KINDS as readonly unknown[]).includes(value)) {
    throw new TypeError(`Unknown ${where}generator ${JSON.stringify(value)}; valid kinds are: ${GENERATOR_KINDS.join(', ')}`);
  }
  return value as GeneratorKindName;
}

function checkOption(key: string, value: unknown, where: string): number {
  const [min, max] = LIMITS[key as NumericOption];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
    throw new TypeError(
      `Expected an integer between ${min} and ${max} for ${where}${key} but received ${shown} of type ${typeof value}`,
    );
  }
  return value;
}

function checkKeys(options: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`Unknown ${where}option ${JSON.stringify(key)}; valid options are: ${allowed.join(', ')}`);
    }
  }
}

/** Defaults filled in, every option checked; throws a TypeError that names the option to change. */
export function resolveArchitecture(options: Partial<CycleGanArchitecture> = {}): CycleGanArchitecture {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected an object of architecture options but received ${String(options)}`);
  }
  checkKeys(options, [...KEYS, 'generator'], 'architecture ');
  const out = {} as Record<NumericOption, number> & { generator?: GeneratorKindName };
  for (const key of KEYS) out[key] = checkOption(key, options[key] ?? DEFAULT_ARCHITECTURE[key], 'architecture option ');
  const kind = checkKind(options.generator ?? 'resnet', 'architecture option ');
  if (kind !== 'resnet') out.generator = kind;
  return Object.freeze(out);
}

export function resolveGeneratorArchitecture(options: Partial<GeneratorArchitecture> = {}): GeneratorArchitecture {
  const allowed = ['inputNc', 'outputNc', 'ngf', 'nBlocks'] as const;
  checkKeys(options, [...allowed, 'generator'], 'generator ');
  const out = {} as Record<(typeof allowed)[number], number> & { generator?: GeneratorKindName };
  for (const key of allowed) out[key] = checkOption(key, options[key] ?? DEFAULT_ARCHITECTURE[key], 'generator option ');
  const kind = checkKind(options.generator ?? 'resnet', 'generator option ');
  if (kind !== 'resnet') out.generator = kind;
  return Object.freeze(out);
}

export function resolveDiscriminatorArchitecture(
  options: Partial<DiscriminatorArchitecture> = {},
): DiscriminatorArchitecture {
  const allowed = ['inputNc', 'ndf', 'nLayers'] as const;
  checkKeys(options, allowed, 'discriminator ');
  const out = {} as Record<(typeof allowed)[number], number>;
  for (const key of allowed) out[key] = checkOption(key, options[key] ?? DEFAULT_ARCHITECTURE[key], 'discriminator option ');
  return Object.freeze(out);
}

export type NetworkName = 'G_A' | 'G_B' | 'D_A' | 'D_B';
export const NETWORK_NAMES: readonly NetworkName[] = Object.freeze(['G_A', 'G_B', 'D_A', 'D_B']);

/** G_A: A -> B, G_B: B -> A (reference cycle_gan_model.py define_G calls). */
export function generatorArchitectureOf(arch: CycleGanArchitecture, which: 'G_A' | 'G_B'): GeneratorArchitecture {
  const [inputNc, outputNc] = which === 'G_A' ? [arch.inputNc, arch.outputNc] : [arch.outputNc, arch.inputNc];
  return resolveGeneratorArchitecture({ generator: arch.generator, inputNc, outputNc, ngf: arch.ngf, nBlocks: arch.nBlocks });
}

/** D_A judges domain B images (output_nc channels), D_B judges domain A (reference define_D calls). */
export function discriminatorArchitectureOf(arch: CycleGanArchitecture, which: 'D_A' | 'D_B'): DiscriminatorArchitecture {
  return Object.freeze({ inputNc: which === 'D_A' ? arch.outputNc : arch.inputNc, ndf: arch.ndf, nLayers: arch.nLayers });
}
