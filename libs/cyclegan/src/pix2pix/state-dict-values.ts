/**
 * Reads a state_dict tensor of a safetensors file as float32, including the integer buffers that
 * BatchNorm2d adds (num_batches_tracked is int64 in PyTorch). Weights go through entryToFloat32.
 */
import { DatasetError } from '@nightshift/labels';
import { entryToFloat32, type SafetensorsEntry } from '../safetensors.ts';

export function stateDictValues(entry: SafetensorsEntry, file: string): Float32Array {
  if (entry.dtype !== 'I64' && entry.dtype !== 'I32') return entryToFloat32(entry, file);
  const view = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
  const width = entry.dtype === 'I64' ? 8 : 4;
  const out = new Float32Array(entry.bytes.byteLength / width);
  for (let i = 0; i < out.length; i++) {
    const v = width === 8 ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true);
    if (!Number.isSafeInteger(v) || Math.abs(v) > 2 ** 24) {
      throw new DatasetError(file, `tensor ${JSON.stringify(entry.name)} holds ${v}, beyond the integers float32 keeps exactly`);
    }
    out[i] = v;
  }
  return out;
}
