// One build at a time per output folder: `.nightshift/lock` is created exclusively and names the
// process that holds it. A lock left by a process that is gone (same host, pid not running) is taken over.
import { linkSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { atomicTempPath } from '@nightshift/labels';
import { BuildRequestError } from './errors.ts';
import { processAlive, stateDir } from './state.ts';

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

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // vanished, or unreadable: treated as stale
  }
}

/**
 * Creates `path` holding `text` only if it does not exist, and never half-written: the text goes to a
 * temporary that is then hard-linked to `path` (a link fails on an existing name). False when it exists.
 */
function createExclusive(path: string, text: string): boolean {
  const temp = atomicTempPath(path);
  writeFileSync(temp, text, { flag: 'wx' });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP') throw error;
    try { // a file system without hard links
      writeFileSync(path, text, { flag: 'wx' });
      return true;
    } catch (plain) {
      if ((plain as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw plain;
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Takes the output's lock for `command`, or refuses with who holds it. */
export function lockOutput(output: string, command: string): OutputLock {
  mkdirSync(stateDir(output), { recursive: true });
  const path = join(stateDir(output), 'lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createExclusive(path, `${JSON.stringify(me)}\n`)) {
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          if (readOwner(path)?.pid === me.pid) unlinkSync(path);
        },
      };
    }
    const owner = readOwner(path);
    if (owner && (owner.host !== me.host || processAlive(owner.pid))) {
      throw new BuildRequestError(
        `--output ${output} is in use by another nightshift run (${owner.command}, pid ${owner.pid} on ${owner.host} since ${owner.since}); ` +
        `wait for it to finish, or delete ${path} if that run is gone`,
      );
    }
    rmSync(path, { force: true }); // stale: its process is gone
  }
  throw new BuildRequestError(`--output ${output}: could not take the lock ${path}`);
}
