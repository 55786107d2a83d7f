/**
 * Checkpoint folders: `config.json` (architecture, training options, sha256 of each weight file) and
 * `G_A.safetensors`, `G_B.safetensors`, `D_A.safetensors`, `D_B.safetensors`, each holding the
 * reference state_dict (same keys, PyTorch layout, F32), so that
 * `net.load_state_dict(safetensors.torch.load_file(...))` works in PyTorch and a PyTorch state_dict
 * converted to safetensors loads here. This module writes a folder and reads its config.json;
 * load.ts loads its networks.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import {
  discriminatorArchitectureOf, generatorArchitectureOf, NETWORK_NAMES, resolveArchitecture, type CycleGanArchitecture, type NetworkName,
} from '../config.ts';
import type { Network } from '../networks/network.ts';
import type { PatchDiscriminator } from '../networks/patch-discriminator.ts';
import type { GeneratorArchitecture } from '../config.ts';
import type { Generator } from '../networks/generator.ts';
import { writeSafetensors } from '../safetensors.ts';

export const CHECKPOINT_FORMAT = 'nightshift-cyclegan-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_CONFIG_FILE = 'config.json';

export interface CheckpointNetworkEntry {
  /** File name inside the checkpoint folder. */
  readonly file: string;
  readonly sha256: string;
  readonly parameters: number;
}

export interface CheckpointConfig {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  readonly architecture: CycleGanArchitecture;
  /** Training options and progress (free JSON, written by the trainer). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly networks: Readonly<Partial<Record<NetworkName, CheckpointNetworkEntry>>>;
}

export interface CheckpointNetworks {
  readonly G_A?: Generator<GeneratorArchitecture>;
  readonly G_B?: Generator<GeneratorArchitecture>;
  readonly D_A?: PatchDiscriminator;
  readonly D_B?: PatchDiscriminator;
}

export interface SaveCheckpointConfig {
  readonly architecture: Partial<CycleGanArchitecture>;
  readonly options?: Readonly<Record<string, unknown>>;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** An architecture in words: `ngf 64, nBlocks 9, ...`. */
export function describeArchitecture(arch: object): string {
  return Object.entries(arch).map(([k, v]) => `${k} ${v}`).join(', ');
}

export function sameArchitecture(a: object, b: object): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

/**
 * Writes each network's state_dict to `${name}.safetensors` in `dir` (created if need be), each file
 * atomically; returns their config.json entries. The pix2pix checkpoint writes its G and D this way too.
 */
export async function writeNetworkFiles<N extends string>(
  dir: string, nets: ReadonlyArray<readonly [N, Network<unknown>]>,
): Promise<Partial<Record<N, CheckpointNetworkEntry>>> {
  await mkdir(dir, { recursive: true });
  const networks: Partial<Record<N, CheckpointNetworkEntry>> = {};
  for (const [name, net] of nets) {
    const file = `${name}.safetensors`;
    const bytes = await writeSafetensors(join(dir, file), await net.stateDict(), { format: 'pt' });
    networks[name] = { file, sha256: sha256(bytes), parameters: net.paramCount() };
  }
  return networks;
}

/**
 * Writes the given networks (any of G_A, G_B, D_A, D_B) to `dir`, each file atomically, config.json
 * last, so a folder with a config.json is always complete. Returns the config written.
 */
export async function saveCheckpoint(dir: string, nets: CheckpointNetworks, config: SaveCheckpointConfig): Promise<CheckpointConfig> {
  const architecture = resolveArchitecture(config.architecture);
  const options = config.options ?? {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('Expected an object for checkpoint options');
  }
  const present = NETWORK_NAMES.filter((name) => nets[name] !== undefined);
  if (present.length === 0) throw new TypeError(`Expected at least one of ${NETWORK_NAMES.join(', ')} to save`);
  for (const name of present) {
    const expected = name[0] === 'G'
      ? generatorArchitectureOf(architecture, name as 'G_A' | 'G_B')
      : discriminatorArchitectureOf(architecture, name as 'D_A' | 'D_B');
    const actual = nets[name]!.architecture;
    if (!sameArchitecture(expected, actual)) {
      throw new RangeError(`${name} has architecture (${describeArchitecture(actual)}) but the checkpoint architecture implies (${describeArchitecture(expected)})`);
    }
  }
  const networks = await writeNetworkFiles(dir, present.map((name) => [name, nets[name]!] as const));
  const written: CheckpointConfig = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    architecture,
    options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>,
    networks,
  };
  await writeFileAtomic(join(dir, CHECKPOINT_CONFIG_FILE), JSON.stringify(written, null, 2) + '\n');
  return written;
}

/** Reads and validates a checkpoint's config.json; errors name the file and JSON pointer. */
export async function readCheckpointConfig(path: string): Promise<CheckpointConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetError(path, `cannot read checkpoint config (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DatasetError(path, `not valid JSON (${(error as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(json)) throw new DatasetError(path, 'expected a JSON object', '');
  if (json.format !== CHECKPOINT_FORMAT) {
    throw new DatasetError(path, `expected "${CHECKPOINT_FORMAT}", got ${JSON.stringify(json.format)}`, '/format');
  }
  if (json.version !== CHECKPOINT_VERSION) {
    throw new DatasetError(path, `unsupported version ${JSON.stringify(json.version)}; this reader knows ${CHECKPOINT_VERSION}`, '/version');
  }
  if (!isObject(json.architecture)) throw new DatasetError(path, 'expected an object', '/architecture');
  const arch = json.architecture;
  for (const key of Object.keys(resolveArchitecture())) {
    if (!(key in arch)) throw new DatasetError(path, 'missing', `/architecture/${key}`);
  }
  for (const [key, value] of Object.entries(arch)) {
    try {
      resolveArchitecture({ [key]: value });
    } catch (error) {
      throw new DatasetError(path, (error as Error).message, `/architecture/${key}`);
    }
  }
  const options = json.options ?? {};
  if (!isObject(options)) throw new DatasetError(path, 'expected an object', '/options');
  if (!isObject(json.networks)) throw new DatasetError(path, 'expected an object', '/networks');
  for (const [name, entry] of Object.entries(json.networks)) {
    const at = `/networks/${name}`;
    if (!(NETWORK_NAMES as readonly string[]).includes(name)) {
      throw new DatasetError(path, `unknown network; valid: ${NETWORK_NAMES.join(', ')}`, at);
    }
    if (!isObject(entry)) throw new DatasetError(path, 'expected an object', at);
    if (typeof entry.file !== 'string' || entry.file === '' || entry.file !== basename(entry.file) || entry.file.startsWith('.')) {
      throw new DatasetError(path, `expected a plain file name inside the checkpoint folder, got ${JSON.stringify(entry.file)}`, `${at}/file`);
    }
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      throw new DatasetError(path, 'expected 64 lowercase hex digits', `${at}/sha256`);
    }
    if (typeof entry.parameters !== 'number' || !Number.isSafeInteger(entry.parameters) || entry.parameters < 0) {
      throw new DatasetError(path, 'expected a non-negative integer', `${at}/parameters`);
    }
  }
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    architecture: resolveArchitecture(arch as Partial<CycleGanArchitecture>),
    options,
    networks: json.networks as CheckpointConfig['networks'],
  };
}

