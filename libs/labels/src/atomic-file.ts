// Files that are either complete or absent: bytes go to a temporary name in the same folder, are
// flushed to disk, and the temporary file is renamed over the target (then the folder is flushed).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from './errors.ts';

function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms refuse to open or flush a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A hidden temporary name beside `path` that names the writing process: `.<name>.<pid>.<hex>.tmp`. */
export function atomicTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** The pid in a name made by atomicTempPath, or undefined for any other name. */
export function atomicTempOwner(name: string): number | undefined {
  const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temp = atomicTempPath(path);
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx');
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(temp); } catch { /* never created, or already gone */ }
    // Name the file being written, not its temporary (write errors such as ENOSPC carry no path).
    if (err instanceof Error && 'code' in err) (err as NodeJS.ErrnoException).path = path;
    throw err;
  }
  syncFolder(dirname(path));
}

/** Copies `from` to `to` byte for byte, atomically. An unreadable source is a DatasetError naming it. */
export function copyFileAtomic(from: string, to: string): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(from);
  } catch (err) {
    throw new DatasetError(from, `cannot read file: ${(err as Error).message}`);
  }
  writeFileAtomic(to, bytes);
}
