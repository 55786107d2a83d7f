// Runs the nightshift CLI as a user would, in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/nightshift.mjs', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const REAL = fileURLToPath(new URL('../../../../shared/data/real/', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function nightshift(args: string[], options: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const needs = (path: string): { skip: string | false } => ({ skip: existsSync(path) ? false : `${path} is absent` });
