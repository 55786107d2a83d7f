// One build at a time per output folder: `.nightshift/lock` is created exclusively and names the
// process that holds it. A lock left by a process that is gone (same host, pid not running) is taken over.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../usage-error.ts';
import { stateDir } from './state.ts';

export interface OutputLock {
  path: string;
  release(): void;
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // vanished or half-written by a process killed mid-write: treated as stale
  }
}

/** Takes the output's lock for `command`, or refuses with who holds it. */
export function lockOutput(output: string, command: string): OutputLock {
  mkdirSync(stateDir(output), { recursive: true });
  const path = join(stateDir(output), 'lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          if (readOwner(path)?.pid === me.pid) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(path);
    if (owner && (owner.host !== me.host || running(owner.pid))) {
      throw new UsageError(
        `--output ${output} is in use by another nightshift run (${owner.command}, pid ${owner.pid} on ${owner.host} since ${owner.since}); ` +
        `wait for it to finish, or delete ${path} if that run is gone`,
      );
    }
    unlinkSync(path); // stale: its process is gone
  }
  throw new UsageError(`--output ${output}: could not take the lock ${path}`);
}
