// The options of a dataset build, validated up front with errors that say what to change.
import { ENGINE_REQUESTS, type EngineRequest, type TileRequest } from '@nightshift/cyclegan';
import { UsageError } from '../usage-error.ts';

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

function choice<T extends string>(value: string, valid: readonly T[], flag: string): T {
  if (!(valid as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${valid.join(', ')}; got "${value}"`);
  return value as T;
}

export const parseOutputFormat = (v: string): OutputFormat => choice(v, OUTPUT_FORMATS, '--output-format');
export const parseEngine = (v: string): EngineRequest => choice(v, ENGINES, '--engine');
export const parseBackend = (v: string): BackendRequest => choice(v, BACKENDS, '--backend');
export const parsePolicy = (v: string): FlagPolicy => choice(v, FLAG_POLICIES, '--on-flag');

export function parseInteger(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer of at least ${min}, got "${value}"`);
  return n;
}

/** `i/n` with 0 <= i < n. */
export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m) throw new UsageError(`--shard must be i/n (e.g. 0/4: the first of four shards), got "${value}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UsageError(`--shard ${value}: need n >= 1 and 0 <= i < n`);
  return { index, count };
}

/** auto | off | a tile side in pixels (a multiple of 4, at least 64). */
export function parseTile(value: string): TileRequest {
  if (value === 'auto' || value === 'off') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 64 || n % 4 !== 0) {
    throw new UsageError(`--tile must be auto, off, or a tile side in pixels (a multiple of 4, at least 64); got "${value}"`);
  }
  return n;
}

/** The formats written, given what was asked for and the input format. */
export function resolveOutputFormats(requested: OutputFormat, input: DatasetFormat, explicit: boolean): DatasetFormat[] {
  if (input === 'coco' && requested !== 'coco') {
    if (explicit) {
      throw new UsageError(
        `--output-format ${requested} needs Cityscapes input; a COCO input is written as COCO only. ` +
        'Convert it first (nightshift convert --from coco --to cityscapes) and translate that, or pass --output-format coco',
      );
    }
    return ['coco'];
  }
  return requested === 'both' ? ['cityscapes', 'coco'] : [requested];
}

/** The sample indices of a shard: a deterministic round-robin partition of the sorted list. */
export function shardIndices(total: number, shard: Shard | undefined): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  return shard ? all.filter((i) => i % shard.count === shard.index) : all;
}
