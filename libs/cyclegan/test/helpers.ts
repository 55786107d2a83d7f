import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { entryToFloat32, type SafetensorsFile } from '../src/index.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A tensor of a fixture file, converted from PyTorch's NCHW to NHWC. */
export function nhwc(file: SafetensorsFile, name: string): tf.Tensor4D {
  const entry = file.tensors.get(name);
  if (entry === undefined) throw new Error(`${file.file} has no tensor ${name}`);
  return tf.tidy(() => tf.transpose(tf.tensor4d(entryToFloat32(entry, file.file), entry.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export interface TorchFacts {
  readonly generator: { input_nc: number; output_nc: number; ngf: number; n_blocks: number; keys: Array<[string, number[]]> };
  readonly discriminator: { input_nc: number; ndf: number; n_layers: number; keys: Array<[string, number[]]> };
  readonly legacyKeys: string[];
  readonly generatorCounts: Array<{ inputNc: number; outputNc: number; ngf: number; nBlocks: number; params: number }>;
  readonly discriminatorCounts: Array<{ inputNc: number; ndf: number; nLayers: number; params: number }>;
}

export async function torchFacts(): Promise<TorchFacts> {
  return JSON.parse(await readFile(`${FIXTURES}torch_facts.json`, 'utf8')) as TorchFacts;
}
