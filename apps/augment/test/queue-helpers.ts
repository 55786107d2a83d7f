// Shared by the queue tests: a real redis-server on a free loopback port, and nightshift processes
// (coordinator, workers) whose output is collected as it arrives.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { startProcess, type Proc } from './process-helpers.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const redisMissing = existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is absent (Debian: apt-get install redis-server; .ci/run installs it)`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}


export interface Redis {
  url: string;
  proc: Proc;
  /** Shuts Redis down and starts a new one on the same port: without persistence, every key is gone. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function redisServer(port: number): Promise<Proc> {
  const proc = startProcess(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await proc.waitFor(/Ready to accept connections/, 20_000);
  return proc;
}

export async function startRedis(): Promise<Redis> {
  const port = await freePort();
  const redis: Redis = {
    url: `redis://127.0.0.1:${port}/0`,
    proc: await redisServer(port),
    restart: async () => {
      await redis.stop();
      redis.proc = await redisServer(port);
    },
    stop: async () => {
      const { child } = redis.proc;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await redis.proc.exited;
    },
  };
  return redis;
}

export async function stopProcess(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
