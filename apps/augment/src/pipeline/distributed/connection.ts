// The Redis of a queued build: its address, and the ioredis options BullMQ needs (commands wait
// through a reconnection instead of failing).
import type { ConnectionOptions } from 'bullmq';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The address without the password, for logs, the summary and the report. */
  display: string;
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
