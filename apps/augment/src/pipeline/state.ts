// The build's own folder inside the output: `.nightshift/run.json` says what the folder is a build of;
// `.nightshift/samples/*.json` holds one record per finished sample, each written atomically after
// the sample's files. Everything at the top level (manifest.jsonl, COCO json, ...) is assembled from
// these records, so a crash at any point loses at most the samples in flight.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { atomicTempOwner, DatasetError, writeFileAtomic, type CocoCategory } from '@nightshift/labels';
import { BuildRequestError } from './errors.ts';
import { sha256, sha256File } from './hash.ts';
import type { Shard } from './options.ts';
import type { SampleState } from './record.ts';

export const STATE_FOLDER = '.nightshift';
const SAMPLES_FOLDER = 'samples';
const RUN_FILE = 'run.json';

/** What an output folder is a build of. A rerun must match it; merge checks shards against each other. */
export interface RunIdentity {
  format: 'nightshift-build';
  version: 1;
  direction: string;
  input: { format: string; root: string; json?: string; imageFolder?: string };
  /** undefined for an unsharded build or a merge. */
  shard?: Shard;
  /** Samples in the (limited) sorted list that the shards partition. */
  listed: number;
  /** The categories of the COCO output, when COCO is written. */
  cocoCategories?: CocoCategory[];
}

export const stateDir = (output: string): string => join(output, STATE_FOLDER);
const samplesDir = (output: string): string => join(output, STATE_FOLDER, SAMPLES_FOLDER);

/** The state file name of a sample: readable, and unique through a short hash of the key. */
export function stateFileName(key: string): string {
  return `${key.replace(/[^A-Za-z0-9._-]+/g, '_')}.${sha256(key).slice(0, 8)}.json`;
}

const identityText = (id: RunIdentity): string => `${JSON.stringify(id, null, 2)}\n`;

export function readRunIdentity(output: string): RunIdentity | undefined {
  const path = join(stateDir(output), RUN_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunIdentity;
  } catch (error) {
    throw new DatasetError(path, `cannot read the build identity: ${(error as Error).message}`);
  }
}

/** Refuses, before any work, a folder that holds files but is not a nightshift build. */
export function assertOutputUsable(output: string): void {
  // The state folder alone (a lock taken just before) does not make a folder a build, nor foreign.
  if (!readRunIdentity(output) && existsSync(output) && readdirSync(output).some((n) => n !== STATE_FOLDER)) {
    throw new BuildRequestError(`--output ${output} already holds files that are not a nightshift build; choose an empty or new folder`);
  }
}

/**
 * Claims `output` for this build: a new or empty folder, or a folder holding a build of the same
 * input, direction and shard. Anything else is refused rather than overwritten.
 */
export function claimOutput(output: string, identity: RunIdentity): void {
  const existing = readRunIdentity(output);
  if (existing) {
    const same = (a: RunIdentity): string => JSON.stringify({ d: a.direction, i: a.input, s: a.shard ?? null });
    if (same(existing) !== same(identity)) {
      throw new BuildRequestError(
        `--output ${output} holds a build of ${existing.input.root} (${existing.direction}` +
        `${existing.shard ? `, shard ${existing.shard.index}/${existing.shard.count}` : ''}); ` +
        'choose another folder for a different input, direction or shard',
      );
    }
  } else {
    assertOutputUsable(output);
  }
  mkdirSync(samplesDir(output), { recursive: true });
  sweepDeadTemporaries(output);
  writeFileAtomic(join(stateDir(output), RUN_FILE), identityText(identity));
}

/** True while a process of this pid runs on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the hidden temporaries (`.<name>.<pid>.<hex>.tmp`) that a killed run left beside the
 * top-level files and the records. Those under the dataset folders go with sweepUnlisted. Only
 * temporaries of processes that are gone are touched, so a writer that is still alive keeps its own.
 */
function sweepDeadTemporaries(output: string): void {
  for (const dir of [output, stateDir(output), samplesDir(output)]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const pid = atomicTempOwner(name);
      if (pid !== undefined && (pid === process.pid || !processAlive(pid))) rmSync(join(dir, name), { force: true });
    }
  }
}

/** The number of sample records in the folder. */
export function recordCount(output: string): number {
  const dir = samplesDir(output);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).length : 0;
}

export function readSampleState(output: string, key: string): SampleState | undefined {
  const path = join(samplesDir(output), stateFileName(key));
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SampleState;
  } catch {
    return undefined; // unreadable: the sample is simply built again
  }
}

export function writeSampleState(output: string, state: SampleState): void {
  writeFileAtomic(join(samplesDir(output), stateFileName(state.manifest.sample)), `${JSON.stringify(state)}\n`);
}

/** Every sample record in the folder, sorted by sample key. */
export function readAllStates(output: string): SampleState[] {
  const dir = samplesDir(output);
  if (!existsSync(dir)) return [];
  const states = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as SampleState);
  return states.sort((a, b) => (a.manifest.sample < b.manifest.sample ? -1 : a.manifest.sample > b.manifest.sample ? 1 : 0));
}

export function removeSampleState(output: string, key: string): void {
  rmSync(join(samplesDir(output), stateFileName(key)), { force: true });
}

/** True when every output of the record is there with the recorded bytes. */
export function outputsIntact(output: string, state: SampleState): boolean {
  return state.manifest.outputs.every((o) => {
    const path = join(output, ...o.path.split('/'));
    return existsSync(path) && sha256File(path) === o.sha256;
  });
}

/**
 * Removes files under the dataset folders that no record or assembled file accounts for (left by a
 * sample that is no longer in the list, was dropped, or died mid-write), so that a resumed or
 * shrunk build holds exactly what a fresh one would.
 */
export function sweepUnlisted(output: string, folders: readonly string[], keep: ReadonlySet<string>): string[] {
  const removed: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
        continue;
      }
      const rel = relative(output, path).split(sep).join('/');
      if (!keep.has(rel)) {
        unlinkSync(path);
        removed.push(rel);
      }
    }
  };
  for (const folder of folders) if (existsSync(join(output, folder))) walk(join(output, folder));
  return removed;
}
