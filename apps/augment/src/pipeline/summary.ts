// summary.json: what one run did, how fast each stage went, and which engine and backend ran and why.
// It describes the run (timings differ between runs); manifest.jsonl describes the dataset.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError, writeFileAtomic, type DatasetProblem } from '@nightshift/labels';
import { SUMMARY_FILE } from './assemble.ts';
import type { Shard } from './options.ts';
import type { BuildOptionsRecord, StageName } from './record.ts';
import type { QueueSummary } from './distributed/stats.ts';

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
  flags: { total: number; byClass: Record<string, { objects: number; flagged: number; rate: number }> };
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
