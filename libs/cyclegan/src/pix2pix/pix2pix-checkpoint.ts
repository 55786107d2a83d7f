/**
 * pix2pix checkpoint folders: `config.json` ({format: 'nightshift-pix2pix-checkpoint', mode: 'pix2pix',
 * architecture, options, networks}) and `G.safetensors` / `D.safetensors` holding the reference
 * state_dicts (netG / netD keys, PyTorch layout). BatchNorm buffers are included so that
 * load_state_dict(strict=True) accepts the files; every tensor is written as F32 (the safetensors
 * writer's one dtype; PyTorch's copy_ casts num_batches_tracked back to int64 on load), and I64
 * num_batches_tracked from PyTorch-made files is read.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import { sha256, writeNetworkFiles, type CheckpointNetworkEntry } from '../checkpoint/config.ts';
import type { Network } from '../networks/network.ts';
import { PatchDiscriminator, patchDiscriminatorSpecs } from '../networks/patch-discriminator.ts';
import { UnetGenerator, inferUnetArchitecture, unetGeneratorSpecs, type UnetGeneratorArchitecture, type UnetGeneratorOptions } from '../networks/unet-generator.ts';
import type { SafetensorsEntry } from '../safetensors.ts';
import { parseStateDict } from '../state-dict-file.ts';
import { resolvePix2PixArchitecture, type Pix2PixArchitecture } from './pix2pix-model.ts';
import { matchStateDict } from '../state-dict-match.ts';

export const PIX2PIX_CHECKPOINT_FORMAT = 'nightshift-pix2pix-checkpoint';
export const PIX2PIX_CHECKPOINT_VERSION = 1;
const CONFIG_FILE = 'config.json';

export type Pix2PixNetworkName = 'G' | 'D';

export interface Pix2PixCheckpointConfig {
  readonly format: typeof PIX2PIX_CHECKPOINT_FORMAT;
  readonly version: typeof PIX2PIX_CHECKPOINT_VERSION;
  readonly mode: 'pix2pix';
  readonly architecture: Pix2PixArchitecture;
  readonly options: Readonly<Record<string, unknown>>;
  readonly networks: Readonly<Partial<Record<Pix2PixNetworkName, CheckpointNetworkEntry>>>;
}


/** Writes G (and D when given) and then config.json, each atomically. */
export async function savePix2PixCheckpoint(
  dir: string,
  nets: { readonly G: UnetGenerator; readonly D?: PatchDiscriminator },
  config: { readonly architecture: Partial<Pix2PixArchitecture>; readonly options?: Readonly<Record<string, unknown>> },
): Promise<Pix2PixCheckpointConfig> {
  const architecture = resolvePix2PixArchitecture(config.architecture);
  const { ndf, nLayers, ...g } = architecture;
  if (JSON.stringify(nets.G.architecture) !== JSON.stringify(g)) {
    throw new RangeError(`G has architecture ${JSON.stringify(nets.G.architecture)} but the checkpoint architecture implies ${JSON.stringify(g)}`);
  }
  const networks = await writeNetworkFiles<Pix2PixNetworkName>(dir, nets.D ? [['G', nets.G], ['D', nets.D]] : [['G', nets.G]]);
  const written: Pix2PixCheckpointConfig = {
    format: PIX2PIX_CHECKPOINT_FORMAT,
    version: PIX2PIX_CHECKPOINT_VERSION,
    mode: 'pix2pix',
    architecture: { ...architecture, ndf, nLayers },
    options: JSON.parse(JSON.stringify(config.options ?? {})) as Record<string, unknown>,
    networks,
  };
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(written, null, 2) + '\n');
  return written;
}

/** The config.json of a pix2pix checkpoint, or undefined when the folder's config is another format. */
export async function readPix2PixConfig(path: string): Promise<Pix2PixCheckpointConfig | undefined> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DatasetError(path, `cannot read checkpoint config (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || json.format !== PIX2PIX_CHECKPOINT_FORMAT) return undefined;
  if (json.version !== PIX2PIX_CHECKPOINT_VERSION) {
    throw new DatasetError(path, `unsupported version ${JSON.stringify(json.version)}; this reader knows ${PIX2PIX_CHECKPOINT_VERSION}`, '/version');
  }
  let architecture: Pix2PixArchitecture;
  try {
    architecture = resolvePix2PixArchitecture(json.architecture as Partial<Pix2PixArchitecture>);
  } catch (e) {
    throw new DatasetError(path, (e as Error).message, '/architecture');
  }
  const networks = json.networks as Pix2PixCheckpointConfig['networks'];
  if (networks === null || typeof networks !== 'object') throw new DatasetError(path, 'expected an object', '/networks');
  for (const [name, entry] of Object.entries(networks)) {
    if (name !== 'G' && name !== 'D') throw new DatasetError(path, 'unknown network; valid: G, D', `/networks/${name}`);
    if (typeof entry?.file !== 'string' || entry.file !== basename(entry.file) || entry.file.startsWith('.')) {
      throw new DatasetError(path, 'expected a plain file name inside the checkpoint folder', `/networks/${name}/file`);
    }
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      throw new DatasetError(path, 'expected 64 lowercase hex digits', `/networks/${name}/sha256`);
    }
  }
  return {
    format: PIX2PIX_CHECKPOINT_FORMAT, version: PIX2PIX_CHECKPOINT_VERSION, mode: 'pix2pix', architecture,
    options: (json.options ?? {}) as Record<string, unknown>, networks,
  };
}

function stripModulePrefix(tensors: ReadonlyMap<string, SafetensorsEntry>): Map<string, SafetensorsEntry> {
  return new Map([...tensors].map(([k, v]) => [k.startsWith('module.') ? k.slice(7) : k, v]));
}

async function readWeights(path: string, which: Pix2PixNetworkName): Promise<{ file: string; tensors: Map<string, SafetensorsEntry>; config?: Pix2PixCheckpointConfig }> {
  const isDir = await stat(path).then((s) => s.isDirectory(), (e: Error) => {
    throw new DatasetError(path, `cannot open checkpoint (${e.message})`);
  });
  const dir = isDir ? path : dirname(path);
  const configPath = join(dir, CONFIG_FILE);
  const config = await stat(configPath).then(() => readPix2PixConfig(configPath), () => undefined);
  const entry = config?.networks[which];
  if (isDir && entry === undefined) throw new DatasetError(isDir && config ? configPath : path, `is not a pix2pix checkpoint with ${which}`);
  const file = isDir ? join(dir, entry!.file) : path;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new DatasetError(file, `cannot read weights (${(e as Error).message})`);
  }
  const listed = entry !== undefined && entry.file === basename(file);
  if (listed && sha256(bytes) !== entry.sha256) {
    throw new DatasetError(file, `sha256 differs from the one recorded in ${configPath}: the file changed after the checkpoint was saved`);
  }
  return { file, tensors: stripModulePrefix(parseStateDict(bytes, file)), config: listed ? config : undefined };
}

export interface LoadUnetGeneratorOptions extends Pick<UnetGeneratorOptions, 'inference' | 'dropoutSeed' | 'name' | 'trainable'> {
  /** For a bare state_dict: whether the network had dropout (not visible in the weights). Default true. */
  readonly dropout?: boolean;
}

/** Loads the U-Net G of a pix2pix checkpoint folder, its G.safetensors, or a bare reference netG state_dict. */
export async function loadUnetGenerator(path: string, options: LoadUnetGeneratorOptions = {}): Promise<UnetGenerator> {
  const w = await readWeights(path, 'G');
  let architecture: UnetGeneratorArchitecture;
  if (w.config) {
    const { ndf: _ndf, nLayers: _nLayers, ...g } = w.config.architecture;
    architecture = g;
  } else {
    architecture = inferUnetArchitecture(w.tensors, w.file, options.dropout);
  }
  const values = matchStateDict(unetGeneratorSpecs(architecture), w.tensors, w.file, `UnetGenerator ${JSON.stringify(architecture)}`);
  return new UnetGenerator(architecture, { name: options.name ?? 'G', trainable: options.trainable, inference: options.inference, dropoutSeed: options.dropoutSeed, weights: values });
}

/** G and D of a pix2pix checkpoint folder (to resume training). */
export async function loadPix2PixCheckpoint(dir: string, options: { readonly trainable?: boolean } = {}): Promise<{ config: Pix2PixCheckpointConfig; G: UnetGenerator; D: PatchDiscriminator }> {
  const g = await readWeights(dir, 'G');
  const d = await readWeights(dir, 'D');
  const config = g.config!;
  const { ndf, nLayers, ...ga } = config.architecture;
  const nets: Network<unknown>[] = [];
  try {
    const G = new UnetGenerator(ga, { name: 'G', trainable: options.trainable });
    nets.push(G);
    G.loadStateDict(matchStateDict(G.specs, g.tensors, g.file, 'the checkpoint\'s UnetGenerator'));
    const dArch = { inputNc: ga.inputNc + ga.outputNc, ndf, nLayers };
    const D = new PatchDiscriminator(dArch, { name: 'D', norm: ga.norm, trainable: options.trainable });
    nets.push(D);
    D.loadStateDict(matchStateDict(patchDiscriminatorSpecs(dArch, ga.norm), d.tensors, d.file, 'the checkpoint\'s PatchDiscriminator'));
    return { config, G, D };
  } catch (e) {
    for (const n of nets) n.dispose();
    throw e;
  }
}
