import { createHash } from 'node:crypto';
import type { StateDictTensor } from '../networks/network.ts';

/**
 * sha256 (hex) over a state_dict in its order: for each tensor its name, its PyTorch shape and its
 * float32 values as little-endian bytes. Equal weights give equal hashes whatever the engine.
 */
export function modelHash(tensors: readonly StateDictTensor[]): string {
  const h = createHash('sha256');
  for (const t of tensors) {
    h.update(`${t.name}\0${t.shape.join(',')}\0`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) h.update(bytes);
    else h.update(Buffer.from(Float32Array.from(t.data).buffer).swap32());
  }
  return h.digest('hex');
}
