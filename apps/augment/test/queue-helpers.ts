// Shared by the queue tests: a real redis-server on a free loopback port, and nightshift processes
// (coordinator, workers) whose output is collected as it arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const redisMissing = existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is absent (Debian: apt-get install redis-server; .ci/run installs it)`;
const BIN = fileURLToPath(new URL('../bin/nightshift.mjs', import.meta.url));

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

export interface Proc {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function startProcess(command: string, args: string[]): Proc {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    });
  });
  return {
    child, exited, output: () => text,
    waitFor: (pattern, timeoutMs = 120_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        const m = text.match(pattern);
        if (m) {
          done();
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`process exited before ${pattern}:\n${text.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${pattern}:\n${text.slice(-3000)}`)); }, timeoutMs);
      const done = (): void => { clearTimeout(timer); waiters.delete(check); };
      waiters.add(check);
      check();
    }),
  };
}

export const nightshiftProcess = (args: string[]): Proc => startProcess(process.execPath, [BIN, ...args]);

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
