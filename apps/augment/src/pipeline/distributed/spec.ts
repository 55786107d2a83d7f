// What the coordinator of a queued build tells its workers. The build spec (input, options, model,
// the concrete engine and backend, checks) lives in the shared output as `.nightshift/queue.json`;
// each job is one unit: a few sample keys of the sorted list, with an id derived from the build and
// the unit's place, so a restarted coordinator finds the units it enqueued before.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError, writeFileAtomic } from '@nightshift/labels';
import { canonicalJson, sha256 } from '../hash.ts';
import type { ErrorPolicy } from '../build-samples.ts';
import type { CheckCues } from '../checks.ts';
import type { ModelChoice } from '../model.ts';
import type { SourceRequest } from '../open-source.ts';
import type { DatasetFormat, Direction, FlagPolicy, TileRequest } from '../options.ts';
import type { BuildOptionsRecord, ModelRecord, StageTimings } from '../record.ts';
import { stateDir } from '../state.ts';

/** One BullMQ queue for every build on a Redis: workers serve whichever build a unit belongs to. */
export const QUEUE_NAME = 'nightshift-units';
export const QUEUE_FILE = 'queue.json';
/** The attempt log of every unit, beside manifest.jsonl (the manifest itself stays byte-identical to a local run's). */
export const QUEUE_LOG_FILE = 'queue.jsonl';
/**
 * In .nightshift/: each unit the coordinator saw finish, with its attempts, appended as it finishes, so
 * that a Redis restarted without persistence (which forgets finished units) loses no attempt records.
 */
export const FINISHED_UNITS_FILE = 'queue-finished.jsonl';
export const finishedUnitsPath = (output: string): string => join(stateDir(output), FINISHED_UNITS_FILE);

export interface BuildSpec {
  direction: Direction;
  input: SourceRequest;
  /** Absolute; every worker must see the output at this path. */
  output: string;
  formats: DatasetFormat[];
  policy: FlagPolicy;
  tile: TileRequest;
  batch: number;
  seed: number;
  limit?: number;
  onError: ErrorPolicy;
  model: ModelChoice;
  /** Decided by the coordinator (--engine auto measures there, once): every worker runs exactly this. */
  engine: { name: 'tfjs' | 'onnx'; backend: string; why: string };
  /** What every sample record carries: a worker whose weights hash differently refuses the unit. */
  modelRecord: ModelRecord;
  options: BuildOptionsRecord;
  /** The consistency checks' cues (and segmenter folder, which every worker must see), whose checker id must be options.checks; false: no checks. */
  checks: false | { cues: CheckCues; segmenter?: string };
  unitSize: number;
}

export interface QueueFile {
  format: 'nightshift-queue';
  version: 1;
  build: string;
  /** When the first coordinator of this build started (ms): the attempt log covers units since then. */
  since: number;
  /** Set when a coordinator assembled the build; a later run of the same spec starts a new log. */
  finished?: boolean;
  spec: BuildSpec;
}

export interface UnitData {
  output: string;
  build: string;
  unit: number;
  keys: string[];
}

export interface UnitResult {
  worker: string;
  built: number;
  upToDate: number;
  failed: number;
  seconds: number;
  busy: StageTimings;
}

/** One line of a job's BullMQ log: workers write one at the start and one at the end of every attempt. */
export interface AttemptEvent {
  event: 'start' | 'done' | 'error';
  worker: string;
  attempt: number;
  at: number;
  built?: number;
  error?: string;
}

/** The build's id, from what decides its bytes and its units (not from why the engine was chosen). */
export function buildId(spec: BuildSpec): string {
  const { why: _why, ...engine } = spec.engine;
  return sha256(canonicalJson({ ...spec, engine })).slice(0, 16);
}
export const unitJobId = (build: string, unit: number): string => `${build}-${unit}`;

/** Unit k holds keys[k*size .. (k+1)*size) of the build's sorted list. */
export function unitsOf<T>(items: readonly T[], size: number): T[][] {
  const units: T[][] = [];
  for (let i = 0; i < items.length; i += size) units.push(items.slice(i, i + size));
  return units;
}

const queueFilePath = (output: string): string => join(stateDir(output), QUEUE_FILE);

export function readQueueFile(output: string): QueueFile | undefined {
  const path = queueFilePath(output);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as QueueFile;
  } catch (error) {
    throw new DatasetError(path, `cannot read the queued build's spec: ${(error as Error).message}`);
  }
}

export function writeQueueFile(output: string, file: QueueFile): void {
  writeFileAtomic(queueFilePath(output), `${JSON.stringify(file, null, 2)}\n`);
}
