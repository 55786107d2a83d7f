// Shared by the pipeline tests: a tiny real (untrained) checkpoint, the CLI run in-process, and
// byte-level comparisons of output trees.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { createCycleGanNetworks, saveCheckpoint } from '@nightshift/cyclegan';
import { selectBackend } from '@nightshift/cyclegan';
import { main } from '../src/main.ts';
import { REPO } from './helpers.ts';

export const SAMPLE = join(REPO, 'datasets', 'sample');

const made: string[] = [];
// Each test file runs in its own process: its temp folders go when it exits, passed or failed.
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nightshift-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A CycleGAN checkpoint folder (config.json, G_A, G_B) with ngf 4 and one residual block. */
export async function tinyCheckpoint(seed = 3): Promise<string> {
  const dir = join(tempDir('model'), 'checkpoint');
  await selectBackend('wasm');
  const nets = createCycleGanNetworks({ ngf: 4, nBlocks: 1 }, { seed });
  await saveCheckpoint(dir, { G_A: nets.G_A, G_B: nets.G_B }, { architecture: { ngf: 4, nBlocks: 1 } });
  for (const n of Object.values(nets)) n.dispose();
  return dir;
}

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `nightshift <args>` in this process (no start-up cost), capturing what it prints. */
export async function cli(args: string[]): Promise<InProcessResult> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Relative path → sha256 of every file under `dir`, optionally only those `keep` accepts. */
export function treeHashes(dir: string, keep: (rel: string) => boolean = () => true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(dir, p).split(sep).join('/');
        if (keep(rel)) out.set(rel, sha256(readFileSync(p)));
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** The files that make up the dataset and its manifest (not the run's logs: summary, timings, report). */
export const datasetFiles = (rel: string): boolean =>
  rel === 'manifest.jsonl' || rel.startsWith('cityscapes/') || rel.startsWith('coco/');

export function copySample(to: string): string {
  cpSync(SAMPLE, to, { recursive: true });
  return to;
}
