/** Reading a network's architecture off a state_dict's tensor shapes: the lookups and their errors. */
import { DatasetError } from '@nightshift/labels';
import type { StateDictShapes } from './generator.ts';

export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** The first keys of a state_dict, for messages that say what a file holds instead. */
export function keysPreview(tensors: StateDictShapes): string {
  const keys = [...tensors.keys()];
  return keys.length === 0 ? 'the file has no tensors' : `found ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}`;
}

/** The shape of the 4-d conv weight `key`; a DatasetError naming `file` when it is absent or not 4-d. */
export function convShape(tensors: StateDictShapes, key: string, file: string, what: string): readonly number[] {
  const entry = tensors.get(key);
  if (entry === undefined) throw new DatasetError(file, `not a ${what} state_dict: no tensor ${key} (${keysPreview(tensors)})`);
  if (entry.shape.length !== 4) throw new DatasetError(file, `tensor ${key} has shape ${shapeText(entry.shape)}, expected a 4-d conv weight`);
  return entry.shape;
}

/** `resolve(raw)` for an architecture read off `file`; its refusal becomes a DatasetError naming the file. */
export function resolveInferred<A, R>(file: string, what: string, resolve: (raw: R) => A, raw: R): A {
  try {
    return resolve(raw);
  } catch (error) {
    throw new DatasetError(file, `inferred ${what} architecture is invalid: ${(error as Error).message}`);
  }
}
