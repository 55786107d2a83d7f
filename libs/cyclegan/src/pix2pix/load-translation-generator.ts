/**
 * One loader for whatever generator a path holds: a pix2pix checkpoint (or its G.safetensors) gives a
 * UnetGenerator, an imported generator folder the kind its config.json names, a CycleGAN checkpoint
 * its G_A or G_B, and a bare weight file (safetensors or PyTorch .pth/.pt) the reference generator
 * its keys show (or `arch` names). The result runs in TfjsTranslator either way.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { loadGenerator } from '../checkpoint/load.ts';
import { GENERATOR_CHECKPOINT_FORMAT, loadImportedGenerator } from '../import/generator-checkpoint.ts';
import { createGenerator, identifyStateDict, type GeneratorArchName } from '../import/identify-generator.ts';
import { parseStateDict } from '../state-dict-file.ts';
import type { TranslatorGenerator } from '../translate/tfjs-translator.ts';
import { loadUnetGenerator, PIX2PIX_CHECKPOINT_FORMAT, type LoadUnetGeneratorOptions } from './pix2pix-checkpoint.ts';

export interface LoadTranslationGeneratorOptions extends LoadUnetGeneratorOptions {
  /** CycleGAN checkpoints: which generator (default G_A). */
  readonly which?: 'G_A' | 'G_B';
  /** Bare weight files: the reference architecture name, instead of the one the keys suggest. */
  readonly arch?: GeneratorArchName;
}

async function readConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  const path = join(dir, 'config.json');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('expected a JSON object');
    return json as Record<string, unknown>;
  } catch (e) {
    throw new DatasetError(path, `not valid JSON (${(e as Error).message})`);
  }
}

export async function loadTranslationGenerator(path: string, options: LoadTranslationGeneratorOptions = {}): Promise<TranslatorGenerator> {
  const isDir = await stat(path).then((s) => s.isDirectory(), (e: Error) => {
    throw new DatasetError(path, `cannot open the generator (${e.message})`);
  });
  const dir = isDir ? path : dirname(path);
  const config = await readConfig(dir);
  const { which, arch, dropout, ...unetOptions } = options;
  if (arch !== undefined && config !== undefined) {
    throw new DatasetError(join(dir, 'config.json'), `names its architecture; --arch ${arch} applies to bare weight files (.pth, .pt, .safetensors) only`);
  }
  if (config?.format === GENERATOR_CHECKPOINT_FORMAT) return loadImportedGenerator(dir, config, unetOptions);
  if (config?.format === PIX2PIX_CHECKPOINT_FORMAT) return loadUnetGenerator(path, options);
  if (config !== undefined || isDir) return loadGenerator(path, { which, name: options.name, trainable: options.trainable });
  const { generator, values } = identifyStateDict(parseStateDict(await readFile(path), path), path, { arch });
  const chosen = generator.kind === 'unet' && dropout !== undefined ? { ...generator, architecture: { ...generator.architecture, dropout } } : generator;
  return createGenerator(chosen, values, unetOptions);
}
