// The options of a dataset build: their types and the values each takes.
import { ENGINE_REQUESTS, type EngineRequest, type TileRequest } from '@nightshift/cyclegan';

export type { EngineRequest, TileRequest };

export type Direction = 'night' | 'day';
export type DatasetFormat = 'cityscapes' | 'coco';
export type OutputFormat = DatasetFormat | 'both';
export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type FlagPolicy = 'keep' | 'ignore' | 'drop';

export const OUTPUT_FORMATS: readonly OutputFormat[] = Object.freeze(['cityscapes', 'coco', 'both']);
export const ENGINES = ENGINE_REQUESTS;
export const BACKENDS: readonly BackendRequest[] = Object.freeze(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
export const FLAG_POLICIES: readonly FlagPolicy[] = Object.freeze(['keep', 'ignore', 'drop']);

export interface Shard {
  index: number;
  count: number;
}

/** The sample indices of a shard: a deterministic round-robin partition of the sorted list. */
export function shardIndices(total: number, shard: Shard | undefined): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  return shard ? all.filter((i) => i % shard.count === shard.index) : all;
}
