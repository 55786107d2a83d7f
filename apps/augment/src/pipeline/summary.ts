// summary.json: what one run did, how fast each stage went, and which engine and backend ran and why.
// It describes the run (timings differ between runs); manifest.jsonl describes the dataset. Local runs,
// the queue coordinator and merge all summarise with the functions below.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError, writeFileAtomic, type DatasetProblem } from '@nightshift/labels';
import { MANIFEST_FILE, REPORT_FILE, SUMMARY_FILE, TIMINGS_FILE } from './assemble.ts';
import type { Shard } from './options.ts';
import type { BuildPlan, BuildSettings } from './plan.ts';
import { STAGES, type BuildOptionsRecord, type SampleState, type StageName, type StageTimings } from './record.ts';
import { CITYSCAPES_FOLDER, COCO_FOLDER } from './write-sample.ts';
import type { QueueSummary } from './distributed/stats.ts';
import type { SemanticVerdict } from './checks.ts';

export interface StageStats {
  items: number;
  /** Time the stage was busy. */
  seconds: number;
  /** Samples per busy second. */
  perSecond: number;
}

export interface BuildSummary {
  direction: string;
  input: { format: string; root: string; json?: string; imageFolder?: string };
  output: string;
  files: { manifest: string; timings: string; report: string; cityscapes: string | null; coco: string | null };
  shard: Shard | null;
  /** merge only: the shard folders assembled. */
  mergedFrom?: string[];
  /** failed: samples that could not be built (each is tried again on the next run). */
  samples: { listed: number; inBuild: number; upToDate: number; built: number; failed: number; written: number; dropped: number };
  /** source: sha256 of the PyTorch checkpoint the weights came from, when they did. */
  model: { path: string; hash: string; source?: string };
  engine: { name: string; backend: string; why: string };
  options: BuildOptionsRecord;
  batch: number;
  checks: string;
  flags: {
    total: number;
    byClass: Record<string, { objects: number; flagged: number; rate: number | null }>;
    /** Checks with the semantic cue: the frames and objects it ran on, and those it abstained on. */
    semantic?: { frames: number; abstainedFrames: number; objects: number; abstainedObjects: number };
  };
  stages: Record<StageName, StageStats>;
  wallSeconds: number;
  /** Every failed sample: the file at fault and what is wrong with it. */
  failures: ({ sample: string } & DatasetProblem)[];
  /** --queue builds: the units, their retries, and each worker's throughput and failures. */
  queue?: QueueSummary;
}

export function writeSummary(output: string, summary: BuildSummary): void {
  writeFileAtomic(join(output, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
}

export function readSummary(output: string): BuildSummary {
  const path = join(output, SUMMARY_FILE);
  if (!existsSync(path)) throw new DatasetError(path, 'missing: not a finished nightshift build (run nightshift night|day first)');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BuildSummary;
  } catch (error) {
    throw new DatasetError(path, `cannot read: ${(error as Error).message}`);
  }
}

export interface BuildFacts {
  settings: BuildSettings;
  plan: BuildPlan;
  /** The records after assembleBuild(). */
  states: readonly SampleState[];
  /** Samples built by this run, and the milliseconds each stage was busy building them. */
  built: number;
  busy: StageTimings;
  checked: boolean;
  modelPath: string;
  engine: { name: string; backend: string; why: string };
  batch: number;
  startedMs: number;
}

/**
 * Per stage: the samples it handled and its busy seconds and rate, for `built` samples that kept the
 * stages busy `busy` milliseconds. The check stage handled none when the checks did not run.
 */
export function stageStats(built: number, busy: StageTimings, checked: boolean): Record<StageName, StageStats> {
  const stats = (name: StageName): StageStats => {
    const ran = name !== 'check' || checked;
    return {
      items: ran ? built : 0,
      seconds: round3(busy[name] / 1000),
      // Below a millisecond of busy time a rate says nothing (e.g. checks that are not available).
      perSecond: busy[name] >= 1 && ran ? round3((built * 1000) / busy[name]) : 0,
    };
  };
  return Object.fromEntries(STAGES.map((s) => [s, stats(s)])) as Record<StageName, StageStats>;
}

/** summary.json of a run that built `built` samples, local or queued. */
export function summarizeBuild(f: BuildFacts): BuildSummary {
  const { settings, plan, states, built, busy } = f;
  return {
    direction: settings.direction,
    input: plan.identity.input,
    output: settings.output,
    files: { manifest: MANIFEST_FILE, timings: TIMINGS_FILE, report: REPORT_FILE, cityscapes: settings.formats.includes('cityscapes') ? CITYSCAPES_FOLDER : null, coco: settings.formats.includes('coco') ? COCO_FOLDER : null },
    shard: settings.shard ?? null,
    samples: { ...sampleCounts(states), listed: plan.listed.length, inBuild: plan.mine.length, upToDate: plan.kept.length, built },
    model: { path: f.modelPath, hash: settings.model.hash, ...(settings.model.source ? { source: settings.model.source } : {}) },
    engine: f.engine,
    options: plan.options,
    batch: f.batch,
    checks: settings.checks,
    flags: flagStats(states),
    stages: stageStats(built, busy, f.checked),
    wallSeconds: round3((now() - f.startedMs) / 1000),
    failures: failuresOf(states),
  };
}

/** How many samples of the dataset were written, dropped by --on-flag drop, and failed. */
export function sampleCounts(states: readonly SampleState[]): { written: number; dropped: number; failed: number } {
  const count = (status: string): number => states.filter((s) => s.manifest.status === status).length;
  return { written: count('written'), dropped: count('dropped'), failed: count('failed') };
}

/** Every failed sample with the file and the problem, in sample order. */
export function failuresOf(states: readonly SampleState[]): BuildSummary['failures'] {
  return states.filter((s) => s.manifest.problem).map((s) => ({ sample: s.manifest.sample, ...s.manifest.problem! }));
}

const now = (): number => performance.now();
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The semantic cue's frames and objects, and those it abstained on; undefined where it never ran. */
export function semanticTally(verdicts: Iterable<SemanticVerdict | undefined>): BuildSummary['flags']['semantic'] {
  let semantic: BuildSummary['flags']['semantic'];
  for (const v of verdicts) {
    if (!v) continue;
    semantic ??= { frames: 0, abstainedFrames: 0, objects: 0, abstainedObjects: 0 };
    semantic.frames++;
    if (v.abstained) semantic.abstainedFrames++;
    semantic.objects += v.objects;
    semantic.abstainedObjects += v.abstainedObjects.length;
  }
  return semantic;
}

/** Flags per class against the labelled objects of that class (hallucinations count as flags of their stuff class). */
export function flagStats(states: readonly SampleState[]): BuildSummary['flags'] {
  const byClass: Record<string, { objects: number; flagged: number; rate: number | null }> = {};
  let total = 0;
  const semantic = semanticTally(states.map((s) => s.manifest.semantic));
  for (const s of states) {
    for (const [name, n] of Object.entries(s.manifest.objects)) (byClass[name] ??= { objects: 0, flagged: 0, rate: 0 }).objects += n;
    for (const f of s.manifest.flags) {
      total++;
      (byClass[f.className] ??= { objects: 0, flagged: 0, rate: 0 }).flagged++;
    }
  }
  // A class without labelled objects (road, sky: a hallucinated region counts on the class it lies on) has no rate.
  for (const row of Object.values(byClass)) row.rate = row.objects ? round3(row.flagged / row.objects) : null;
  const sorted = Object.fromEntries(Object.entries(byClass).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { total, byClass: sorted, ...(semantic ? { semantic } : {}) };
}
