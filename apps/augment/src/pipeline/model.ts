// Which generator translates: a checkpoint folder (G_A day→night, G_B night→day), a bare generator
// .safetensors, PyTorch .pth/.pt or .onnx, and the default model's place in the repository.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GENERATOR_CHECKPOINT_FORMAT, type GeneratorArchName, type GeneratorCheckpointConfig } from '@nightshift/cyclegan';
import { REPO_ROOT } from '../defaults.ts';
import { sha256File } from './hash.ts';
import { BuildRequestError } from './errors.ts';
import type { Direction } from './options.ts';

export const DEFAULT_MODEL = join(REPO_ROOT, 'datasets', 'models', 'default');

export interface ModelChoice {
  /** Checkpoint folder, generator .safetensors, PyTorch .pth/.pt or generator .onnx file. */
  path: string;
  format: 'checkpoint' | 'safetensors' | 'pytorch' | 'onnx';
  /** The generator of a checkpoint folder; undefined for a bare weights file. */
  which?: 'G_A' | 'G_B';
  isDefault: boolean;
  /**
   * The file the weights were brought from, for a PyTorch checkpoint or a folder written by
   * import-model: its name and sha256, recorded in every sample's manifest line.
   */
  source?: { file: string; sha256: string };
  /** --arch: a bare weight file's architecture, instead of the one its keys show. */
  arch?: GeneratorArchName;
}

/** config.json of an import-model folder, if `dir` holds one. */
function importedSource(dir: string): ModelChoice['source'] {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return undefined;
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as Partial<GeneratorCheckpointConfig>;
    return config.format === GENERATOR_CHECKPOINT_FORMAT && config.source ? { file: config.source.file, sha256: config.source.sha256 } : undefined;
  } catch {
    return undefined; // the generator loader reports a broken config.json with its reason
  }
}

export function generatorFor(direction: Direction): 'G_A' | 'G_B' {
  return direction === 'night' ? 'G_A' : 'G_B';
}

export function resolveModel(model: string | undefined, direction: Direction, arch?: GeneratorArchName): ModelChoice {
  const choice = chooseModel(model, direction);
  if (arch === undefined) return choice;
  if (choice.format === 'onnx' || choice.format === 'checkpoint') {
    throw new BuildRequestError(`--arch ${arch} applies to bare weight files (.pth, .pt, .safetensors); ${choice.path} names its own architecture`);
  }
  return { ...choice, arch };
}

function chooseModel(model: string | undefined, direction: Direction): ModelChoice {
  const isDefault = model === undefined;
  const path = resolve(model ?? DEFAULT_MODEL);
  if (!existsSync(path)) {
    if (isDefault) {
      throw new BuildRequestError(
        `no model at ${DEFAULT_MODEL}: the default generator has not been trained and committed yet. ` +
        'Pass --model <checkpoint folder> (config.json + G_A.safetensors for night, G_B.safetensors for day) ' +
        'or --model <generator .safetensors or PyTorch .pth>',
      );
    }
    throw new BuildRequestError(`--model ${model}: no such file or folder; pass a checkpoint folder (config.json + G_A/G_B .safetensors), a generator .safetensors or a PyTorch .pth`);
  }
  if (statSync(path).isDirectory()) {
    const source = importedSource(path);
    // An imported folder holds one generator, used for whichever direction it is given.
    return source ? { path, format: 'checkpoint', isDefault, source } : { path, format: 'checkpoint', which: generatorFor(direction), isDefault };
  }
  if (path.endsWith('.onnx')) return { path, format: 'onnx', isDefault };
  if (path.endsWith('.pth') || path.endsWith('.pt')) return { path, format: 'pytorch', isDefault, source: { file: path, sha256: sha256File(path) } };
  if (!path.endsWith('.safetensors')) throw new BuildRequestError(`--model ${model}: expected a checkpoint folder, a generator .safetensors, a PyTorch .pth/.pt or a generator .onnx file`);
  const source = importedSource(dirname(path));
  return source ? { path, format: 'safetensors', isDefault, source } : { path, format: 'safetensors', isDefault };
}
