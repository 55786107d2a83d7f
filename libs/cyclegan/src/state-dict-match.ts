/**
 * A state_dict checked against a network's specs as PyTorch's load_state_dict(strict=True) checks
 * it: every key present, none extra, every shape equal. A mismatch is one line that names the
 * missing tensors and the unexpected ones, each with its shape, and the first misshapen one.
 */
import { DatasetError } from '@nightshift/labels';
import type { ParamSpec } from './networks/parameters.ts';
import { shapeText } from './networks/state-dict-shapes.ts';
import { stateDictValues } from './pix2pix/state-dict-values.ts';
import type { SafetensorsEntry } from './safetensors.ts';

const LISTED = 6;

function list(items: readonly string[]): string {
  return `${items.slice(0, LISTED).join(', ')}${items.length > LISTED ? `, ... (${items.length} in all)` : ''}`;
}

const plural = (n: number, word: string): string => `${word}${n > 1 ? 's' : ''}`;

/**
 * The tensors' values (float32, in spec order) when they fit `specs` exactly; otherwise a
 * DatasetError naming `file` and every kind of mismatch. `expectation` names the network expected.
 */
export function matchStateDict(
  specs: readonly ParamSpec[],
  tensors: ReadonlyMap<string, SafetensorsEntry>,
  file: string,
  expectation: string,
): Map<string, Float32Array> {
  const missing = specs.filter((s) => !tensors.has(s.name));
  // The first misshapen tensor is enough: one wrong width or depth changes most shapes at once.
  const misshapen = specs.find((s) => tensors.has(s.name) && shapeText(tensors.get(s.name)!.shape) !== shapeText(s.torchShape));
  const known = new Set(specs.map((s) => s.name));
  const unexpected = [...tensors].filter(([key]) => !known.has(key));
  const problems: string[] = [];
  if (missing.length > 0) {
    problems.push(`missing ${plural(missing.length, 'tensor')} ${list(missing.map((s) => `${s.name} ${shapeText(s.torchShape)}`))} required by ${expectation}`);
  }
  if (misshapen !== undefined) {
    problems.push(`tensor ${misshapen.name} has shape ${shapeText(tensors.get(misshapen.name)!.shape)} but ${expectation} expects ${shapeText(misshapen.torchShape)}`);
  }
  if (unexpected.length > 0) {
    problems.push(`unexpected ${plural(unexpected.length, 'tensor')} ${list(unexpected.map(([key, e]) => `${key} ${shapeText(e.shape)}`))}: ${expectation} has no such parameter`);
  }
  if (problems.length > 0) throw new DatasetError(file, problems.join('; '));
  return new Map(specs.map((s) => [s.name, stateDictValues(tensors.get(s.name)!, file)]));
}
