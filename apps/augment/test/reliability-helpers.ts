// Shared by the reliability tests: the real CLI as a child process that can be killed at a chosen
// moment, a check that nothing visible in a build folder is partial, and mounts (tmpfs, read-only binds).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import sharp from 'sharp';
import { atomicTempOwner } from '@nightshift/labels';
import { sha256 } from './pipeline-helpers.ts';

/** A seeded generator of floats in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const baseName = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);

export interface OutputState {
  /** Hidden temporaries (`.<name>.<pid>.<hex>.tmp`) found, relative paths. */
  temporaries: string[];
  /** Whether manifest.jsonl is there (it then lists exactly the dataset's files, checked). */
  manifest: boolean;
}

/**
 * Asserts that every visible file of a build folder is whole: PNGs decode completely, json and jsonl
 * parse, report.html is complete; the only hidden files besides `.nightshift/` are temporaries; and
 * when manifest.jsonl is there, the image and label files are exactly those it lists, with its bytes.
 * Throws an Error naming the first file that is not.
 */
export async function assertNothingPartial(output: string): Promise<OutputState> {
  const temporaries: string[] = [];
  const files = walkFiles(output);
  for (const rel of files) {
    const name = baseName(rel);
    const path = join(output, ...rel.split('/'));
    if (name.startsWith('.')) {
      if (atomicTempOwner(name) === undefined) throw new Error(`${rel}: a hidden file that is not a temporary`);
      temporaries.push(rel);
      continue;
    }
    const bytes = readFileSync(path);
    try {
      if (name.endsWith('.png')) await sharp(bytes, { failOn: 'truncated' }).raw().toBuffer();
      else if (name.endsWith('.json') || rel === '.nightshift/lock') JSON.parse(bytes.toString('utf8'));
      else if (name.endsWith('.jsonl')) for (const line of bytes.toString('utf8').split('\n').filter((l) => l !== '')) JSON.parse(line);
      else if (name.endsWith('.html')) { if (!bytes.toString('utf8').endsWith('</html>\n')) throw new Error('ends early'); }
      else throw new Error('a file the build does not write');
    } catch (error) {
      throw new Error(`${rel} is partial or unexpected (${bytes.length} bytes): ${(error as Error).message}`);
    }
  }
  const manifestPath = join(output, 'manifest.jsonl');
  const manifest = existsSync(manifestPath);
  if (manifest) {
    const listed = new Map<string, string>();
    for (const line of readFileSync(manifestPath, 'utf8').split('\n').filter((l) => l !== '')) {
      for (const o of (JSON.parse(line) as { outputs: { path: string; sha256: string }[] }).outputs) listed.set(o.path, o.sha256);
    }
    const present = files.filter((rel) => /^(cityscapes|coco)\//.test(rel) && !baseName(rel).startsWith('.') && !rel.startsWith('coco/annotations/'));
    const unlisted = present.filter((rel) => !listed.has(rel));
    if (unlisted.length) throw new Error(`manifest.jsonl is there but does not list ${unlisted.slice(0, 3).join(', ')}`);
    for (const [rel, sha] of listed) {
      const path = join(output, ...rel.split('/'));
      if (!existsSync(path)) throw new Error(`manifest.jsonl lists ${rel}, which is missing`);
      if (sha256(readFileSync(path)) !== sha) throw new Error(`${rel} differs from the sha256 in manifest.jsonl`);
    }
  }
  return { temporaries, manifest };
}

/** Runs a command as root; returns why it failed, or undefined. */
export function sh(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
}

/** Unmounts, retrying while busy; never throws (cleanup). */
export function unmount(dir: string): void {
  for (let i = 0; i < 20; i++) {
    if (sh('umount', [dir]) === undefined) return;
    if (!isMountPoint(dir)) return;
    spawnSync('sleep', ['0.1']);
  }
}

export function isMountPoint(dir: string): boolean {
  return spawnSync('mountpoint', ['-q', dir]).status === 0;
}

/** The first difference between two manifest.jsonl files, field by field (after the key), or undefined when equal. */
export function manifestDifference(a: string, b: string): string | undefined {
  const la = readFileSync(a, 'utf8').split('\n');
  const lb = readFileSync(b, 'utf8').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] === lb[i]) continue;
    const fa = (la[i] ?? '').split(/(?<=[,{[])/);
    const fb = (lb[i] ?? '').split(/(?<=[,{[])/);
    const differs = (f: string, j: number): boolean => f !== fb[j] && !f.startsWith('"key":');
    const k = Math.max(0, fa.findIndex(differs));
    return `line ${i + 1}: ${fa.slice(Math.max(0, k - 2), k + 3).join('')} vs ${fb.slice(Math.max(0, k - 2), k + 3).join('')}`;
  }
  return undefined;
}
