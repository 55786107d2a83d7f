// Which generator translates: a checkpoint folder (G_A day→night, G_B night→day), a bare generator
// .safetensors, PyTorch .pth/.pt or .onnx, and the default model's place in the repository.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../defaults.ts';
import { UsageError } from '../usage-error.ts';
import type { Direction } from './options.ts';

export const DEFAULT_MODEL = join(REPO_ROOT, 'datasets', 'models', 'default');

export interface ModelChoice {
  /** Checkpoint folder, generator .safetensors, PyTorch .pth/.pt or generator .onnx file. */
  path: string;
  format: 'checkpoint' | 'safetensors' | 'pytorch' | 'onnx';
  /** The generator of a checkpoint folder; undefined for a bare weights file. */
  which?: 'G_A' | 'G_B';
  isDefault: boolean;
}

export function generatorFor(direction: Direction): 'G_A' | 'G_B' {
  return direction === 'night' ? 'G_A' : 'G_B';
}

export function resolveModel(model: string | undefined, direction: Direction): ModelChoice {
  const isDefault = model === undefined;
  const path = resolve(model ?? DEFAULT_MODEL);
  if (!existsSync(path)) {
    if (isDefault) {
      throw new UsageError(
        `no model at ${DEFAULT_MODEL}: the default generator has not been trained and committed yet. ` +
        'Pass --model <checkpoint folder> (config.json + G_A.safetensors for night, G_B.safetensors for day) ' +
        'or --model <generator .safetensors or PyTorch .pth>',
      );
    }
    throw new UsageError(`--model ${model}: no such file or folder; pass a checkpoint folder (config.json + G_A/G_B .safetensors), a generator .safetensors or a PyTorch .pth`);
  }
  if (statSync(path).isDirectory()) return { path, format: 'checkpoint', which: generatorFor(direction), isDefault };
  if (path.endsWith('.onnx')) return { path, format: 'onnx', isDefault };
  if (path.endsWith('.pth') || path.endsWith('.pt')) return { path, format: 'pytorch', isDefault };
  if (!path.endsWith('.safetensors')) throw new UsageError(`--model ${model}: expected a checkpoint folder, a generator .safetensors, a PyTorch .pth/.pt or a generator .onnx file`);
  return { path, format: 'safetensors', isDefault };
}
