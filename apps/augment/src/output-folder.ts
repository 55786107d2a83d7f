// Checks on where a command may write: never into its input, never over a folder that holds files.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isPathInside } from '@nightshift/labels';
import { UsageError } from './usage-error.ts';

/** The real path of `path`, following links as far as it exists. */
function realOrResolved(path: string): string {
  let p = resolve(path);
  const missing: string[] = [];
  while (!existsSync(p)) {
    missing.unshift(p.slice(dirname(p).length));
    p = dirname(p);
  }
  return realpathSync(p) + missing.join('');
}

/** Refuses an output folder that already holds files. Returns the resolved path. */
export function checkOutputEmpty(output: string): string {
  const real = realOrResolved(output);
  if (existsSync(real) && readdirSync(real).length > 0) {
    throw new UsageError(`--output ${output} already holds files; choose an empty or new folder`);
  }
  return resolve(output);
}

/**
 * Refuses an output folder that is the input, lies inside the input folder, or contains it.
 * `inputPath` may be a folder or a file (its folder counts as the input). Returns the resolved path.
 */
export function checkOutputBesideInput(output: string, inputPath: string): string {
  const out = realOrResolved(output);
  const inputReal = realOrResolved(inputPath);
  const inputFolder = existsSync(inputReal) && statSync(inputReal).isFile() ? dirname(inputReal) : inputReal;
  if (isPathInside(out, inputFolder)) {
    throw new UsageError(`--output ${output} is inside the input ${inputFolder}; the input is never written to, choose a folder outside it`);
  }
  if (isPathInside(inputFolder, out)) {
    throw new UsageError(`--output ${output} contains the input ${inputFolder}; choose a folder beside it`);
  }
  return resolve(output);
}
