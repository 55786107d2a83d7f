// Checks on where a command may write: never into its input, never over a non-empty folder.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { UsageError } from './usage-error.ts';

function realOrResolved(path: string): string {
  let p = resolve(path);
  const missing: string[] = [];
  while (!existsSync(p)) {
    missing.unshift(p.slice(dirname(p).length));
    p = dirname(p);
  }
  return realpathSync(p) + missing.join('');
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses an output folder that is the input, lies inside the input folder, or already holds files.
 * `inputPath` may be a folder or a file (its folder counts as the input).
 */
export function checkOutputFolder(output: string, inputPath: string, options: { allowExisting?: boolean } = {}): string {
  const out = realOrResolved(output);
  const inputReal = realOrResolved(inputPath);
  const inputFolder = existsSync(inputReal) && statSync(inputReal).isFile() ? dirname(inputReal) : inputReal;
  if (isInside(out, inputFolder)) {
    throw new UsageError(`--output ${output} is inside the input ${inputFolder}; the input is never written to, choose a folder outside it`);
  }
  if (isInside(inputFolder, out)) {
    throw new UsageError(`--output ${output} contains the input ${inputFolder}; choose a folder beside it`);
  }
  if (!options.allowExisting && existsSync(out) && readdirSync(out).length > 0) {
    throw new UsageError(`--output ${output} already holds files; choose an empty or new folder`);
  }
  return resolve(output);
}
