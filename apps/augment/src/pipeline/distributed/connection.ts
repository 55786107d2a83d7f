// The Redis of a queued build: `--queue redis://[user:password@]host[:port][/db]` parsed up front, and
// the ioredis options BullMQ needs (commands wait through a reconnection instead of failing).
import type { ConnectionOptions } from 'bullmq';
import { UsageError } from '../../usage-error.ts';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The address without the password, for logs, the summary and the report. */
  display: string;
}

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

/** Reconnects every 0.2 to 2 s forever; callers decide how long an outage may last. */
export function connectionOptions(address: RedisAddress): ConnectionOptions {
  return {
    host: address.host, port: address.port, db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(2000, 200 * times),
  };
}
