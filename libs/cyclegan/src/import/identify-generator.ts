/**
 * Which reference generator a bare state_dict is, told by its keys and shapes: the CycleGAN
 * ResnetGenerator, CUT's anti-aliased ResnetGenerator (its blur filter) or the pix2pix
 * UnetGenerator, whose keys come from their step tables (resnetLayoutOf, unetLayoutOf,
 * inferCutGeneratorArchitecture), with ngf and the channels read off the first and last convs. An
 * architecture name in the reference's `--netG`
 * vocabulary overrides the guess; the strict match then names what does not fit.
 *
 * The state_dict is first put as a network sees it, as the reference's load_networks does: the
 * DataParallel `module.` prefix stripped, and for instance-norm generators the running statistics
 * that InstanceNorm2d kept before PyTorch 0.4 dropped (base_model.py
 * __patch_instance_norm_state_dict).
 */
import { DatasetError } from '@nightshift/labels';
import { resolveGeneratorArchitecture, type GeneratorArchitecture } from '../config.ts';
import { isBufferSpec, type ParamSpec } from '../networks/parameters.ts';
import { inferCutGeneratorArchitecture } from '../networks/cut-generator.ts';
import { generatorSpecs } from '../networks/generator.ts';
import { defineGenerator, generatorKind } from '../networks/generator-kinds.ts';
import { resnetLayoutOf } from '../networks/resnet-generator.ts';
import { resolveUnetArchitecture, unetLayoutOf, type UnetGeneratorArchitecture, type UnetInference } from '../networks/unet-generator.ts';
import type { SafetensorsEntry } from '../safetensors.ts';
import { matchStateDict } from '../state-dict-match.ts';
import type { TranslatorGenerator } from '../translate/tfjs-translator.ts';

/** `--arch` values: the reference's `--netG` names. */
export const GENERATOR_ARCH_NAMES = Object.freeze(['resnet_9blocks', 'resnet_6blocks', 'unet_256', 'unet_128'] as const);
export type GeneratorArchName = (typeof GENERATOR_ARCH_NAMES)[number];

export type IdentifiedGenerator =
  | { readonly kind: 'resnet' | 'cut-resnet'; readonly architecture: GeneratorArchitecture }
  | { readonly kind: 'unet'; readonly architecture: UnetGeneratorArchitecture };

/** The reference's name for an identified generator, e.g. `resnet_9blocks`, `unet_256`. */
export function referenceName(g: IdentifiedGenerator): string {
  if (g.kind !== 'unet') return `resnet_${g.architecture.nBlocks}blocks`;
  return `unet_${2 ** g.architecture.numDowns}`;
}

export function describeGenerator(g: IdentifiedGenerator): string {
  const fields = Object.entries(g.architecture).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${generatorKind(g.kind).className} ${referenceName(g)} (${fields})`;
}

export function identifiedSpecs(g: IdentifiedGenerator): ParamSpec[] {
  return generatorSpecs(generatorKind(g.kind), g.architecture);
}

/** Trainable parameters (buffers excluded), as the reference's print_networks counts them. */
export function generatorParameters(g: IdentifiedGenerator): number {
  return identifiedSpecs(g).filter((s) => !isBufferSpec(s)).reduce((n, s) => n + s.size, 0);
}

export function stripModulePrefix(tensors: ReadonlyMap<string, SafetensorsEntry>, file: string): Map<string, SafetensorsEntry> {
  const out = new Map<string, SafetensorsEntry>();
  for (const [raw, entry] of tensors) {
    const name = raw.startsWith('module.') ? raw.slice('module.'.length) : raw;
    if (out.has(name)) throw new DatasetError(file, `tensor ${name} appears both with and without the "module." prefix`);
    out.set(name, entry);
  }
  return out;
}

const LEGACY_INSTANCE_NORM = ['.running_mean', '.running_var', '.num_batches_tracked'];

function shapeOf(tensors: ReadonlyMap<string, SafetensorsEntry>, key: string): readonly number[] | undefined {
  const shape = tensors.get(key)?.shape;
  return shape !== undefined && shape.length === 4 ? shape : undefined;
}

function resnetCandidate(tensors: ReadonlyMap<string, SafetensorsEntry>, nBlocks: number | undefined): IdentifiedGenerator {
  const layout = resnetLayoutOf(tensors, nBlocks);
  const stem = shapeOf(tensors, layout.stem);
  const head = shapeOf(tensors, layout.head);
  return { kind: 'resnet', architecture: resolveGeneratorArchitecture({ ngf: stem?.[0], inputNc: stem?.[1], outputNc: head?.[0], nBlocks: layout.nBlocks }) };
}

function unetCandidate(tensors: ReadonlyMap<string, SafetensorsEntry>, numDowns: number | undefined): IdentifiedGenerator {
  const layout = unetLayoutOf(tensors, numDowns);
  const first = shapeOf(tensors, layout.first);
  const last = shapeOf(tensors, layout.last);
  // Batch norm layers are affine (they have a weight); the reference's InstanceNorm2d is not.
  const norm = tensors.has(`${layout.firstNorm}.weight`) ? 'batch' : 'instance';
  return {
    kind: 'unet',
    architecture: resolveUnetArchitecture({ inputNc: first?.[1], ngf: first?.[0], outputNc: last?.[1], numDowns: layout.numDowns, norm, dropout: true }),
  };
}

function keysPreview(tensors: ReadonlyMap<string, SafetensorsEntry>): string {
  const keys = [...tensors.keys()];
  if (keys.length === 0) return 'the file has no tensors';
  return `found ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? `, ... (${keys.length} tensors)` : ''}`;
}

function guess(tensors: ReadonlyMap<string, SafetensorsEntry>, file: string, arch: GeneratorArchName | undefined): IdentifiedGenerator {
  const resnet = resnetLayoutOf(tensors);
  const unet = unetLayoutOf(tensors);
  try {
    if (arch !== undefined) {
      const [family, size] = arch.split('_');
      return family === 'resnet' ? resnetCandidate(tensors, Number.parseInt(size, 10)) : unetCandidate(tensors, Math.log2(Number(size)));
    }
    if (shapeOf(tensors, unet.first) !== undefined) return unetCandidate(tensors, undefined);
    // CUT's blur-pool filter after the first downsampling conv tells it from the CycleGAN ResNet.
    if (tensors.has('model.7.filt')) return { kind: 'cut-resnet', architecture: inferCutGeneratorArchitecture(tensors, file) };
    if (shapeOf(tensors, resnet.stem) !== undefined && tensors.has(resnet.firstBlock)) return resnetCandidate(tensors, undefined);
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(file, `the generator's shapes are out of range: ${(error as Error).message}`);
  }
  throw new DatasetError(file, `not a generator this reader knows: neither the reference ResnetGenerator (${resnet.stem}, ${resnet.firstBlock}, ...), its UnetGenerator (${unet.first}, ...) nor CUT's (model.7.filt, ...); ${keysPreview(tensors)}`);
}

export interface IdentifyOptions {
  /** Overrides the architecture guessed from the keys (ngf and channels are still read off the weights). */
  readonly arch?: GeneratorArchName;
}

export interface IdentifiedStateDict {
  readonly generator: IdentifiedGenerator;
  /** Float32 values of every spec, in PyTorch state_dict order. */
  readonly values: Map<string, Float32Array>;
  /** Keys of the file that were left out: legacy InstanceNorm statistics. */
  readonly dropped: readonly string[];
  /** Whether the keys had the DataParallel `module.` prefix. */
  readonly modulePrefix: boolean;
}

/** Identifies a bare generator state_dict and matches it strictly; errors name `file`. */
export function identifyStateDict(raw: ReadonlyMap<string, SafetensorsEntry>, file: string, options: IdentifyOptions = {}): IdentifiedStateDict {
  if (options.arch !== undefined && !GENERATOR_ARCH_NAMES.includes(options.arch)) {
    throw new RangeError(`unknown architecture ${JSON.stringify(options.arch)}; valid: ${GENERATOR_ARCH_NAMES.join(', ')}`);
  }
  let tensors = stripModulePrefix(raw, file);
  const modulePrefix = [...raw.keys()].some((k) => k.startsWith('module.'));
  const generator = guess(tensors, file, options.arch);
  const dropped: string[] = [];
  const instanceNorm = generator.kind !== 'unet' || generator.architecture.norm === 'instance';
  if (instanceNorm) {
    tensors = new Map([...tensors].filter(([k]) => {
      const legacy = LEGACY_INSTANCE_NORM.some((s) => k.endsWith(s));
      if (legacy) dropped.push(k);
      return !legacy;
    }));
  }
  const how = options.arch === undefined ? 'inferred from the keys' : `requested with --arch ${options.arch}`;
  const values = matchStateDict(identifiedSpecs(generator), tensors, file, `${describeGenerator(generator)}, ${how}`);
  return { generator, values, dropped, modulePrefix };
}

export interface CreateGeneratorOptions {
  readonly name?: string;
  readonly trainable?: boolean;
  /** U-Net only: see UnetGeneratorOptions. */
  readonly inference?: UnetInference;
  readonly dropoutSeed?: number;
}

/** The identified generator as a network holding `values`. */
export function createGenerator(g: IdentifiedGenerator, values: ReadonlyMap<string, Float32Array>, options: CreateGeneratorOptions = {}): TranslatorGenerator {
  const common = { name: options.name ?? 'G', trainable: options.trainable, weights: values };
  return defineGenerator(g.kind, g.architecture, g.kind === 'unet' ? { ...common, inference: options.inference, dropoutSeed: options.dropoutSeed } : common);
}
