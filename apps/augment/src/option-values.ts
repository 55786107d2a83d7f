// The values of command-line options, parsed up front with errors that say what to change (exit 2).
import type { RedisAddress } from './pipeline/distributed/connection.ts';
import type { DatasetFormat, OutputFormat, Shard, TileRequest } from './pipeline/options.ts';
import { UsageError } from './usage-error.ts';

export function parseNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  return n;
}

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

/** `--queue redis://[user:password@]host[:port][/db]`. */
export function parseRedisUrl(value: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--queue must be a Redis URL such as redis://localhost:6379/0, got "${value}"`);
  }
  if (url.protocol !== 'redis:') throw new UsageError(`--queue ${value}: only redis:// URLs are supported (host, port, database number)`);
  const port = url.port ? Number(url.port) : 6379;
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!url.hostname || !Number.isInteger(db) || db < 0) throw new UsageError(`--queue ${value}: expected redis://host[:port][/db] with a database number, e.g. redis://localhost:6379/0`);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, db, username, password, display: `redis://${url.hostname}:${port}/${db}` };
}
