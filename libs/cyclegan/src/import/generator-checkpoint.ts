/**
 * Imported generator folders: one generator brought from elsewhere (a PyTorch `.pth`/`.pt`, a bare
 * safetensors state_dict, or an ONNX file whose initialisers carry the reference's names), written
 * as
 *
 *   G.safetensors   the reference state_dict: exactly the keys load_state_dict(strict=True) wants,
 *                   F32, PyTorch layout (no `module.` prefix, no pre-0.4 InstanceNorm statistics)
 *   config.json     {format: 'nightshift-generator', version, architecture: {kind, ...}, networks:
 *                   {G: {file, sha256, parameters}}, source: {file, format, sha256, ...}}
 *
 * The source's sha256 stays with the weights, so a build made from the folder can say which file
 * its weights came from. The folder is written under a temporary name and renamed into place, so
 * `--out` either does not exist or holds the whole import.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import { resolveGeneratorArchitecture } from '../config.ts';
import { resolveUnetArchitecture } from '../networks/unet-generator.ts';
import { inspectGeneratorOnnx } from '../onnx/model-inspect.ts';
import { encodeSafetensors, parseSafetensors, type SafetensorsEntry } from '../safetensors.ts';
import { matchStateDict } from '../state-dict-match.ts';
import { weightFileFormat } from '../state-dict-file.ts';
import { parseTorchCheckpoint } from '../torch/torch-checkpoint.ts';
import type { TranslatorGenerator } from '../translate/tfjs-translator.ts';
import {
  createGenerator, describeGenerator, generatorParameters, identifiedSpecs, identifyStateDict, referenceName,
  type CreateGeneratorOptions, type GeneratorArchName, type IdentifiedGenerator,
} from './identify-generator.ts';

export const GENERATOR_CHECKPOINT_FORMAT = 'nightshift-generator';
export const GENERATOR_CHECKPOINT_VERSION = 1;
const CONFIG_FILE = 'config.json';
const WEIGHTS_FILE = 'G.safetensors';

export type ImportSourceFormat = 'torch-zip' | 'torch-legacy' | 'safetensors' | 'onnx';

export interface ImportSource {
  /** The source file's name (not its path: the folder may move). */
  readonly file: string;
  readonly format: ImportSourceFormat;
  readonly sha256: string;
  /** torch checkpoints: the key of the outer dict the state_dict was under (e.g. "state_dict"). */
  readonly wrapper?: string;
  /** Whether the keys carried DataParallel's `module.` prefix. */
  readonly modulePrefix: boolean;
  /** Keys of the source left out of G.safetensors (pre-0.4 InstanceNorm statistics). */
  readonly dropped: readonly string[];
}

export type ImportedArchitecture = IdentifiedGenerator['architecture'] & { readonly kind: IdentifiedGenerator['kind'] };

export interface GeneratorCheckpointConfig {
  readonly format: typeof GENERATOR_CHECKPOINT_FORMAT;
  readonly version: typeof GENERATOR_CHECKPOINT_VERSION;
  /** The kind and its architecture, plus the reference's `--netG` name for people reading it. */
  readonly architecture: ImportedArchitecture;
  readonly netG: string;
  readonly networks: { readonly G: { readonly file: string; readonly sha256: string; readonly parameters: number } };
  readonly source: ImportSource;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** An ONNX file's weights, when its initialisers carry the reference ResnetGenerator's names. */
function onnxStateDict(bytes: Uint8Array, file: string): Map<string, SafetensorsEntry> {
  const model = inspectGeneratorOnnx(bytes, file);
  if (model.stateDict === undefined) {
    throw new DatasetError(file, 'its initialisers do not carry the reference ResnetGenerator\'s state_dict names, so its weights cannot be mapped to a PyTorch state_dict; run the file itself with --model (the onnx engine)');
  }
  return new Map(model.stateDict.map((t) => [t.name, {
    name: t.name, dtype: 'F32', shape: t.shape, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  }]));
}

interface SourceStateDict {
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly format: ImportSourceFormat;
  readonly wrapper?: string;
}

function readSource(bytes: Uint8Array, file: string): SourceStateDict {
  if (file.endsWith('.onnx')) return { tensors: onnxStateDict(bytes, file), format: 'onnx' };
  const format = weightFileFormat(bytes, file);
  if (format === 'safetensors') return { tensors: parseSafetensors(bytes, file).tensors, format };
  const torch = parseTorchCheckpoint(bytes, file);
  return { tensors: torch.tensors, format, wrapper: torch.wrapper };
}

export interface ImportGeneratorOptions {
  /** Overrides the architecture inferred from the keys. */
  readonly arch?: GeneratorArchName;
}

export interface ImportedGenerator {
  readonly config: GeneratorCheckpointConfig;
  /** e.g. "ResnetGenerator resnet_9blocks (inputNc 3, outputNc 3, ngf 64, nBlocks 9)". */
  readonly description: string;
}

async function checkOutput(out: string): Promise<boolean> {
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new DatasetError(out, `cannot use as the output folder (${e.message})`);
  });
  if (entries !== undefined && entries.length > 0) throw new DatasetError(out, 'exists and is not empty; give a new folder for the imported generator');
  return entries !== undefined;
}

/**
 * Reads a generator from `source` (PyTorch checkpoint, safetensors or ONNX; nothing in it is run),
 * identifies it, matches it strictly and writes the folder `out` (which must not exist or be empty).
 */
export async function importGenerator(source: string, out: string, options: ImportGeneratorOptions = {}): Promise<ImportedGenerator> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (error) {
    throw new DatasetError(source, `cannot read the generator (${(error as Error).message})`);
  }
  const read = readSource(bytes, source);
  const { generator, values, dropped, modulePrefix } = identifyStateDict(read.tensors, source, options);
  const outExists = await checkOutput(out);
  const specs = identifiedSpecs(generator);
  const weights = encodeSafetensors(specs.map((s) => ({ name: s.name, shape: s.torchShape, data: values.get(s.name)! })), { format: 'pt' });
  const config: GeneratorCheckpointConfig = {
    format: GENERATOR_CHECKPOINT_FORMAT,
    version: GENERATOR_CHECKPOINT_VERSION,
    architecture: { kind: generator.kind, ...generator.architecture } as ImportedArchitecture,
    netG: referenceName(generator),
    networks: { G: { file: WEIGHTS_FILE, sha256: sha256(weights), parameters: generatorParameters(generator) } },
    source: {
      file: basename(source), format: read.format, sha256: sha256(bytes),
      ...(read.wrapper !== undefined ? { wrapper: read.wrapper } : {}), modulePrefix, dropped,
    },
  };
  const tmp = join(dirname(out), `.${basename(out)}.import-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp, { recursive: true });
    await writeFileAtomic(join(tmp, WEIGHTS_FILE), weights);
    await writeFileAtomic(join(tmp, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
    if (outExists) await rmdir(out);
    await rename(tmp, out);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw new DatasetError(out, `cannot write the imported generator (${(error as Error).message})`);
  }
  return { config, description: describeGenerator(generator) };
}

function fail(path: string, reason: string, pointer: string): never {
  throw new DatasetError(path, reason, pointer);
}

/** The generator an imported folder's config.json describes; errors name the file and JSON pointer. */
export function readGeneratorCheckpointConfig(json: Record<string, unknown>, path: string): GeneratorCheckpointConfig {
  if (json.version !== GENERATOR_CHECKPOINT_VERSION) {
    fail(path, `unsupported version ${JSON.stringify(json.version)}; this reader knows ${GENERATOR_CHECKPOINT_VERSION}`, '/version');
  }
  const arch = json.architecture as Record<string, unknown> | null;
  if (arch === null || typeof arch !== 'object') fail(path, 'expected an object', '/architecture');
  const { kind, ...rest } = arch;
  let architecture: ImportedArchitecture;
  try {
    if (kind === 'resnet' || kind === 'cut-resnet') architecture = { kind, ...resolveGeneratorArchitecture(rest) };
    else if (kind === 'unet') architecture = { kind, ...resolveUnetArchitecture(rest) };
    else fail(path, `unknown generator kind ${JSON.stringify(kind)}; valid: resnet, cut-resnet, unet`, '/architecture/kind');
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    fail(path, (error as Error).message, '/architecture');
  }
  const g = (json.networks as { G?: { file?: unknown; sha256?: unknown } } | undefined)?.G;
  if (typeof g?.file !== 'string' || g.file !== basename(g.file) || g.file.startsWith('.')) {
    fail(path, 'expected a plain file name inside the folder', '/networks/G/file');
  }
  if (typeof g.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(g.sha256)) fail(path, 'expected 64 lowercase hex digits', '/networks/G/sha256');
  const source = json.source as ImportSource | undefined;
  if (typeof source?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(source.sha256)) fail(path, 'expected 64 lowercase hex digits', '/source/sha256');
  return json as unknown as GeneratorCheckpointConfig & { architecture: typeof architecture };
}

/** Loads the generator of an imported folder (the folder, or its G.safetensors). */
export async function loadImportedGenerator(dir: string, json: Record<string, unknown>, options: CreateGeneratorOptions = {}): Promise<TranslatorGenerator> {
  const configPath = join(dir, CONFIG_FILE);
  const config = readGeneratorCheckpointConfig(json, configPath);
  const file = join(dir, config.networks.G.file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(file, `cannot read weights (${(error as Error).message})`);
  }
  if (sha256(bytes) !== config.networks.G.sha256) {
    throw new DatasetError(file, `sha256 differs from the one recorded in ${configPath}: the file changed after the import`);
  }
  const { kind, ...architecture } = config.architecture;
  const generator = { kind, architecture } as IdentifiedGenerator;
  const values = matchStateDict(identifiedSpecs(generator), parseSafetensors(bytes, file).tensors, file, `${configPath} (${describeGenerator(generator)})`);
  return createGenerator(generator, values, options);
}
