/**
 * Loading a checkpoint's networks: the weights found (resolve-weights.ts), the architecture chosen
 * (architecture.ts), the state_dict matched strictly, the network built holding it.
 */
import { join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import {
  discriminatorArchitectureOf, generatorArchitectureOf, generatorKindOf, NETWORK_NAMES, resolveDiscriminatorArchitecture, resolveGeneratorArchitecture,
  type CycleGanArchitecture, type DiscriminatorArchitecture, type GeneratorArchitecture, type GeneratorKindName, type NetworkName,
} from '../config.ts';
import { generatorSpecs, type Generator } from '../networks/generator.ts';
import { defineGenerator, generatorKind } from '../networks/generator-kinds.ts';
import type { Network, NetworkOptions } from '../networks/network.ts';
import type { ParamSpec } from '../networks/parameters.ts';
import { PatchDiscriminator, patchDiscriminatorSpecs } from '../networks/patch-discriminator.ts';
import type { SafetensorsEntry } from '../safetensors.ts';
import { matchStateDict } from '../state-dict-match.ts';
import { inferDiscriminatorArchitecture, pickArchitecture } from './architecture.ts';
import { CHECKPOINT_CONFIG_FILE, readCheckpointConfig, type CheckpointConfig, type CheckpointNetworks } from './config.ts';
import { resolveWeights } from './resolve-weights.ts';

export interface LoadNetworkOptions<Architecture> extends Omit<NetworkOptions, 'seed' | 'initGain'> {
  /**
   * Expected architecture. Missing fields are taken from config.json or, for a bare state_dict,
   * inferred from the tensors; given fields must agree with them.
   */
  readonly architecture?: Partial<Architecture>;
}

export interface LoadGeneratorOptions extends LoadNetworkOptions<GeneratorArchitecture> {
  /** Which generator of a checkpoint folder to load. Default G_A. */
  readonly which?: 'G_A' | 'G_B';
}

export interface LoadDiscriminatorOptions extends LoadNetworkOptions<DiscriminatorArchitecture> {
  /** Which discriminator of a checkpoint folder to load. Default D_A. */
  readonly which?: 'D_A' | 'D_B';
}

/** What loading one role (generator or discriminator) of a checkpoint needs. */
interface NetworkLoader<A extends object, N extends Network<A>> {
  readonly role: 'G' | 'D';
  fromConfig(arch: CycleGanArchitecture, name: NetworkName): A;
  infer(tensors: ReadonlyMap<string, SafetensorsEntry>, file: string): A;
  resolve(a: Partial<A>): A;
  specs(a: A): ParamSpec[];
  create(a: A, options: NetworkOptions): N;
  /** Refuses weights that are not of the kind the checkpoint's config.json names. */
  checkKind?(a: A, tensors: ReadonlyMap<string, SafetensorsEntry>, file: string, config: { readonly path: string; readonly name: NetworkName }): void;
}

async function loadNetwork<A extends object, N extends Network<A>>(
  path: string, options: LoadNetworkOptions<A> & { readonly which?: NetworkName }, loader: NetworkLoader<A, N>,
): Promise<N> {
  const weights = await resolveWeights(path, loader.role, options.which);
  const { architecture, expectation } = pickArchitecture(
    weights, loader.fromConfig, () => loader.infer(weights.tensors, weights.file), options.architecture, loader.resolve,
  );
  if (weights.config !== undefined) loader.checkKind?.(architecture, weights.tensors, weights.file, weights.config);
  const values = matchStateDict(loader.specs(architecture), weights.tensors, weights.file, expectation);
  return loader.create(architecture, { name: options.name ?? weights.config?.name ?? loader.role, trainable: options.trainable, weights: values });
}

/** The CycleGAN generator kind a state_dict's keys belong to: bilateral (splat.0.weight) or resnet. */
export function weightsKindOf(tensors: ReadonlyMap<string, unknown>): GeneratorKindName {
  return tensors.has('splat.0.weight') ? 'bilateral' : 'resnet';
}

const GENERATOR: NetworkLoader<GeneratorArchitecture, Generator<GeneratorArchitecture>> = {
  role: 'G',
  fromConfig: (arch, name) => generatorArchitectureOf(arch, name as 'G_A' | 'G_B'),
  infer: (tensors, file) => generatorKind(weightsKindOf(tensors)).infer!(tensors, file) as GeneratorArchitecture,
  resolve: resolveGeneratorArchitecture,
  specs: (a) => generatorSpecs(generatorKind(generatorKindOf(a)), a),
  create: (a, options) => defineGenerator(generatorKindOf(a), a as unknown as Record<string, unknown>, options as NetworkOptions & Record<string, unknown>) as Generator<GeneratorArchitecture>,
  checkKind: (a, tensors, file, config) => {
    const found = weightsKindOf(tensors);
    if (found !== generatorKindOf(a)) {
      throw new DatasetError(file, `holds ${found} generator weights, but ${config.path} names generator ${JSON.stringify(generatorKindOf(a))} for ${config.name}`);
    }
  },
};

const DISCRIMINATOR: NetworkLoader<DiscriminatorArchitecture, PatchDiscriminator> = {
  role: 'D',
  fromConfig: (arch, name) => discriminatorArchitectureOf(arch, name as 'D_A' | 'D_B'),
  infer: inferDiscriminatorArchitecture,
  resolve: resolveDiscriminatorArchitecture,
  specs: (a) => patchDiscriminatorSpecs(a),
  create: (a, options) => new PatchDiscriminator(a, options),
};

/**
 * Loads a CycleGAN generator (the kind config.json names, or for a bare state_dict the kind its keys
 * show: the reference ResNet or the bilateral generator) from a checkpoint folder (`which`, default
 * G_A), from one of its `.safetensors` files, or from a bare state_dict saved as safetensors
 * (`module.` prefix and legacy InstanceNorm statistics accepted; ngf, nBlocks and channels inferred).
 */
export async function loadGenerator(path: string, options: LoadGeneratorOptions = {}): Promise<Generator<GeneratorArchitecture>> {
  return loadNetwork(path, options, GENERATOR);
}

/** Loads a PatchDiscriminator the same ways as loadGenerator (`which` default D_A). */
export async function loadDiscriminator(path: string, options: LoadDiscriminatorOptions = {}): Promise<PatchDiscriminator> {
  return loadNetwork(path, options, DISCRIMINATOR);
}

export interface LoadedCheckpoint extends CheckpointNetworks {
  readonly config: CheckpointConfig;
}

/** Loads every network a checkpoint folder lists (e.g. to resume training). */
export async function loadCheckpoint(dir: string, options: Pick<NetworkOptions, 'trainable'> = {}): Promise<LoadedCheckpoint> {
  const config = await readCheckpointConfig(join(dir, CHECKPOINT_CONFIG_FILE));
  const nets: Record<string, Generator<GeneratorArchitecture> | PatchDiscriminator> = {};
  try {
    for (const name of NETWORK_NAMES) {
      if (config.networks[name] === undefined) continue;
      nets[name] = name[0] === 'G'
        ? await loadGenerator(dir, { which: name as 'G_A' | 'G_B', trainable: options.trainable })
        : await loadDiscriminator(dir, { which: name as 'D_A' | 'D_B', trainable: options.trainable });
    }
  } catch (error) {
    for (const net of Object.values(nets)) net.dispose();
    throw error;
  }
  return { config, ...nets };
}
