/**
 * A weight file's state_dict, whichever format holds it: safetensors, or a PyTorch checkpoint in
 * either torch.save serialisation (read without running its pickle code). The format is told by the
 * content, not the file name.
 */
import { readFile } from 'node:fs/promises';
import { DatasetError } from '@nightshift/labels';
import { parseSafetensors, type SafetensorsEntry } from './safetensors.ts';
import { parseTorchCheckpoint } from './torch/torch-checkpoint.ts';
import { looksLikeZip } from './torch/zip-archive.ts';

export type WeightFileFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** safetensors: an 8-byte header length that fits the file, then a JSON object. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10 || bytes[8] !== 0x7b) return false;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true) <= BigInt(bytes.length - 8);
}

export function weightFileFormat(bytes: Uint8Array, file: string): WeightFileFormat {
  if (looksLikeZip(bytes)) return 'torch-zip';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  // A pickle starts with PROTO (0x80) and its protocol: torch.save's legacy format.
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'torch-legacy';
  throw new DatasetError(file, 'not a weight file: neither safetensors nor a PyTorch checkpoint (zip or legacy pickle)');
}

/** The state_dict held in `bytes` (keys as saved); `file` names the file in errors. */
export function parseStateDict(bytes: Uint8Array, file: string): Map<string, SafetensorsEntry> {
  return weightFileFormat(bytes, file) === 'safetensors'
    ? new Map(parseSafetensors(bytes, file).tensors)
    : parseTorchCheckpoint(bytes, file).tensors;
}

export async function readStateDict(path: string): Promise<Map<string, SafetensorsEntry>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DatasetError(path, `cannot read weights (${(error as Error).message})`);
  }
  return parseStateDict(bytes, path);
}
