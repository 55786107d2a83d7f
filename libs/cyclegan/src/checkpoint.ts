/**
 * Checkpoint folders: `config.json` (architecture, training options, sha256 of each weight file) and
 * `G_A.safetensors`, `G_B.safetensors`, `D_A.safetensors`, `D_B.safetensors`, each holding the
 * reference state_dict (same keys, PyTorch layout, F32), so that
 * `net.load_state_dict(safetensors.torch.load_file(...))` works in PyTorch and a PyTorch state_dict
 * converted to safetensors loads here.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from './atomic-write.ts';
import {
  discriminatorArchitectureOf,
  generatorArchitectureOf,
  NETWORK_NAMES,
  resolveArchitecture,
  resolveDiscriminatorArchitecture,
  resolveGeneratorArchitecture,
  type CycleGanArchitecture,
  type DiscriminatorArchitecture,
  type GeneratorArchitecture,
  type NetworkName,
} from './config.ts';
import type { NetworkOptions } from './networks/network.ts';
import { PatchDiscriminator, patchDiscriminatorSpecs } from './networks/patch-discriminator.ts';
import { inferGeneratorArchitecture, ResnetGenerator, resnetGeneratorSpecs } from './networks/resnet-generator.ts';
import { convShape, keysPreview } from './networks/state-dict-shapes.ts';
import { writeSafetensors, type SafetensorsEntry } from './safetensors.ts';
import { matchStateDict, shapeText } from './state-dict-match.ts';
import { parseStateDict } from './state-dict-file.ts';

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
  readonly G_A?: ResnetGenerator;
  readonly G_B?: ResnetGenerator;
  readonly D_A?: PatchDiscriminator;
  readonly D_B?: PatchDiscriminator;
}

export interface SaveCheckpointConfig {
  readonly architecture: Partial<CycleGanArchitecture>;
  readonly options?: Readonly<Record<string, unknown>>;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function describe(arch: object): string {
  return Object.entries(arch).map(([k, v]) => `${k} ${v}`).join(', ');
}

function sameArchitecture(a: object, b: object): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
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
      throw new RangeError(`${name} has architecture (${describe(actual)}) but the checkpoint architecture implies (${describe(expected)})`);
    }
  }
  await mkdir(dir, { recursive: true });
  const networks: Partial<Record<NetworkName, CheckpointNetworkEntry>> = {};
  for (const name of present) {
    const net = nets[name]!;
    const file = `${name}.safetensors`;
    const bytes = await writeSafetensors(join(dir, file), await net.stateDict(), { format: 'pt' });
    networks[name] = { file, sha256: sha256(bytes), parameters: net.paramCount() };
  }
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

interface ResolvedWeights {
  readonly file: string;
  readonly tensors: Map<string, SafetensorsEntry>;
  /** The architecture from config.json, when the file belongs to a checkpoint folder. */
  readonly config?: { readonly path: string; readonly architecture: CycleGanArchitecture; readonly name: NetworkName };
}

/** Finds the weight file (and its config.json, if any), verifies its hash and parses it. */
async function resolveWeights(path: string, kind: 'G' | 'D', which: NetworkName | undefined): Promise<ResolvedWeights> {
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

function pickArchitecture<A extends object>(
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
    source = `${weights.config.path} (${weights.config.name}: ${describe(base)})`;
  } else {
    base = infer();
    source = `the architecture inferred from the file (${describe(base)})`;
  }
  if (requested !== undefined) {
    const wanted = resolve({ ...base, ...requested });
    if (!sameArchitecture(wanted, base)) {
      throw new DatasetError(weights.file, `requested architecture (${describe(wanted)}) does not match ${source}`);
    }
  }
  return { architecture: base, expectation: source };
}

/**
 * Loads a ResnetGenerator from a checkpoint folder (`which`, default G_A), from one of its
 * `.safetensors` files, or from a bare reference state_dict saved as safetensors (`module.` prefix
 * and legacy InstanceNorm statistics accepted; ngf, nBlocks and channels inferred).
 */
export async function loadGenerator(path: string, options: LoadGeneratorOptions = {}): Promise<ResnetGenerator> {
  const weights = await resolveWeights(path, 'G', options.which);
  const { architecture, expectation } = pickArchitecture(
    weights,
    (arch, name) => generatorArchitectureOf(arch, name as 'G_A' | 'G_B'),
    () => inferGeneratorArchitecture(weights.tensors, weights.file),
    options.architecture,
    resolveGeneratorArchitecture,
  );
  const values = matchStateDict(resnetGeneratorSpecs(architecture), weights.tensors, weights.file, expectation);
  return new ResnetGenerator(architecture, { name: options.name ?? weights.config?.name ?? 'G', trainable: options.trainable, weights: values });
}

/** Loads a PatchDiscriminator the same ways as loadGenerator (`which` default D_A). */
export async function loadDiscriminator(path: string, options: LoadDiscriminatorOptions = {}): Promise<PatchDiscriminator> {
  const weights = await resolveWeights(path, 'D', options.which);
  const { architecture, expectation } = pickArchitecture(
    weights,
    (arch, name) => discriminatorArchitectureOf(arch, name as 'D_A' | 'D_B'),
    () => inferDiscriminatorArchitecture(weights.tensors, weights.file),
    options.architecture,
    resolveDiscriminatorArchitecture,
  );
  const values = matchStateDict(patchDiscriminatorSpecs(architecture), weights.tensors, weights.file, expectation);
  return new PatchDiscriminator(architecture, { name: options.name ?? weights.config?.name ?? 'D', trainable: options.trainable, weights: values });
}

export interface LoadedCheckpoint extends CheckpointNetworks {
  readonly config: CheckpointConfig;
}

/** Loads every network a checkpoint folder lists (e.g. to resume training). */
export async function loadCheckpoint(dir: string, options: Pick<NetworkOptions, 'trainable'> = {}): Promise<LoadedCheckpoint> {
  const config = await readCheckpointConfig(join(dir, CHECKPOINT_CONFIG_FILE));
  const nets: Record<string, ResnetGenerator | PatchDiscriminator> = {};
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
