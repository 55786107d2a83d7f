/**
 * From a path to a network's weights: a checkpoint folder (and which network of it), one of its
 * weight files, or a bare state_dict file; with the folder's config.json when there is one, the
 * file's sha256 checked against it, and the state_dict as the network sees it.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { NETWORK_NAMES, type CycleGanArchitecture, type NetworkName } from '../config.ts';
import type { SafetensorsEntry } from '../safetensors.ts';
import { parseStateDict } from '../state-dict-file.ts';
import { CHECKPOINT_CONFIG_FILE, readCheckpointConfig, sha256 } from './config.ts';

const LEGACY_SUFFIXES = ['.running_mean', '.running_var', '.num_batches_tracked'];

/**
 * The state_dict as a network sees it: a DataParallel `module.` prefix stripped and legacy
 * InstanceNorm running statistics dropped (reference base_model.py __patch_instance_norm_state_dict;
 * the networks have no BatchNorm, so every such key belongs to an InstanceNorm).
 */
function normaliseStateDict(tensors: ReadonlyMap<string, SafetensorsEntry>, file: string): Map<string, SafetensorsEntry> {
  const out = new Map<string, SafetensorsEntry>();
  for (const [rawName, entry] of tensors) {
    const name = rawName.startsWith('module.') ? rawName.slice('module.'.length) : rawName;
    if (LEGACY_SUFFIXES.some((s) => name.endsWith(s))) continue;
    if (out.has(name)) throw new DatasetError(file, `tensor ${name} appears both with and without the "module." prefix`);
    out.set(name, entry);
  }
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    throw new DatasetError(path, `cannot open checkpoint (${(error as Error).message})`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export interface ResolvedWeights {
  readonly file: string;
  readonly tensors: Map<string, SafetensorsEntry>;
  /** The architecture from config.json, when the file belongs to a checkpoint folder. */
  readonly config?: { readonly path: string; readonly architecture: CycleGanArchitecture; readonly name: NetworkName };
}

/** Finds the weight file (and its config.json, if any), verifies its hash and parses it. */
export async function resolveWeights(path: string, kind: 'G' | 'D', which: NetworkName | undefined): Promise<ResolvedWeights> {
  const dir = (await isDirectory(path)) ? path : dirname(path);
  const configPath = join(dir, CHECKPOINT_CONFIG_FILE);
  const config = (await exists(configPath)) ? await readCheckpointConfig(configPath) : undefined;
  let file: string;
  let name: NetworkName | undefined;
  if (dir === path) {
    name = which ?? (kind === 'G' ? 'G_A' : 'D_A');
    const entry = config?.networks[name];
    if (config !== undefined && entry === undefined) {
      throw new DatasetError(configPath, `checkpoint has no ${name} (it has ${Object.keys(config.networks).join(', ') || 'no networks'})`, '/networks');
    }
    file = join(dir, entry?.file ?? `${name}.safetensors`);
  } else {
    file = path;
    name = config === undefined
      ? undefined
      : NETWORK_NAMES.find((n) => config.networks[n]?.file === basename(path));
    if (name !== undefined && which !== undefined && name !== which) {
      throw new DatasetError(file, `config.json lists this file as ${name}, not ${which}`);
    }
  }
  if (name !== undefined && name[0] !== kind) {
    throw new DatasetError(file, `is ${name}, a ${name[0] === 'G' ? 'generator' : 'discriminator'}; expected a ${kind === 'G' ? 'generator' : 'discriminator'}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(file, `cannot read weights (${(error as Error).message})`);
  }
  const entry = name !== undefined ? config?.networks[name] : undefined;
  if (entry !== undefined) {
    const actual = sha256(bytes);
    if (actual !== entry.sha256) {
      throw new DatasetError(file, `sha256 ${actual} differs from ${entry.sha256} recorded in ${configPath}: the file changed after the checkpoint was saved`);
    }
  }
  const tensors = normaliseStateDict(parseStateDict(bytes, file), file);
  return {
    file,
    tensors,
    config: config !== undefined && name !== undefined && entry !== undefined
      ? { path: configPath, architecture: config.architecture, name }
      : undefined,
  };
}

