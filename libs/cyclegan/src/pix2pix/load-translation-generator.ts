/**
 * One loader for whatever generator a path holds: a pix2pix checkpoint (or its G.safetensors, or a
 * bare reference UnetGenerator state_dict) gives a UnetGenerator, anything else goes to the CycleGAN
 * loadGenerator. The result runs in TfjsTranslator either way.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { loadGenerator } from '../checkpoint.ts';
import { parseStateDict } from '../state-dict-file.ts';
import type { TranslatorGenerator } from '../translate/tfjs-translator.ts';
import { loadUnetGenerator, PIX2PIX_CHECKPOINT_FORMAT, type LoadUnetGeneratorOptions } from './pix2pix-checkpoint.ts';

export interface LoadTranslationGeneratorOptions extends LoadUnetGeneratorOptions {
  /** CycleGAN checkpoints: which generator (default G_A). */
  readonly which?: 'G_A' | 'G_B';
}

async function configFormat(dir: string): Promise<string | undefined> {
  const path = join(dir, 'config.json');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return (JSON.parse(text) as { format?: string }).format;
  } catch (e) {
    throw new DatasetError(path, `not valid JSON (${(e as Error).message})`);
  }
}

export async function loadTranslationGenerator(path: string, options: LoadTranslationGeneratorOptions = {}): Promise<TranslatorGenerator> {
  const isDir = await stat(path).then((s) => s.isDirectory(), (e: Error) => {
    throw new DatasetError(path, `cannot open the generator (${e.message})`);
  });
  const format = await configFormat(isDir ? path : dirname(path));
  let unet = format === PIX2PIX_CHECKPOINT_FORMAT;
  if (format === undefined && !isDir) {
    const keys = parseStateDict(await readFile(path), path).keys();
    unet = [...keys].some((k) => k === 'model.model.0.weight' || k === 'module.model.model.0.weight');
  }
  const { which, ...unetOptions } = options;
  if (unet) return loadUnetGenerator(path, unetOptions);
  return loadGenerator(path, { which, name: options.name, trainable: options.trainable });
}
