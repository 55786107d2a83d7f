// Processes the tests start (nightshift itself, redis-server) with their output collected as it
// arrives, so a test can wait for a line, kill the process at that moment, or read what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO } from './helpers.ts';

export const BIN = fileURLToPath(new URL('../bin/nightshift.mjs', import.meta.url));

export interface Proc {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function startProcess(command: string, args: string[]): Proc {
  const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': by then every byte the process wrote has been read.
    child.once('close', (code, signal) => {
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

/** `nightshift <args>` as a user runs it (node bin/nightshift.mjs). */
export const nightshiftProcess = (args: string[]): Proc => startProcess(process.execPath, [BIN, ...args]);
