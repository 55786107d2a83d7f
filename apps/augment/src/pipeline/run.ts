// One dataset build on this machine: plan (which samples are new or changed), build them, then
// assemble the top-level files and the run's summary and report.
import { DatasetError, type CocoCategory } from '@nightshift/labels';
import type { Checker } from './checks.ts';
import type { Translator } from '@nightshift/cyclegan';
import { buildSamples, type ErrorPolicy } from './build-samples.ts';
import { planBuild, type BuildSettings } from './plan.ts';
import { STAGES, type SampleState, type StageName, type StageTimings } from './record.ts';
import { claimOutput, readAllStates, recordCount, removeSampleState, sweepUnlisted, writeSampleState } from './state.ts';
import { MANIFEST_FILE, REPORT_FILE, TIMINGS_FILE, withdrawManifest, writeCocoJsons, writeManifest } from './assemble.ts';
import { CITYSCAPES_FOLDER, COCO_FOLDER } from './write-sample.ts';
import { writeSummary, type BuildSummary, type StageStats } from './summary.ts';
import { writeReport } from './report.ts';

export interface BuildRequest extends Omit<BuildSettings, 'model' | 'checks'> {
  batch: number;
  onError: ErrorPolicy;
  translator: Translator;
  engine: { name: string; backend: string; why: string };
  model: { path: string };
  checker?: Checker;
  checkStatus: string;
  /** Called once the plan is made, with the number of samples to build. */
  onPlanned?: (todo: number) => void;
  /** Progress of the samples being built: done of total, with a short stage summary. */
  onProgress?: (done: number, total: number, extra: string) => void;
  log?: (line: string) => void;
}

const now = (): number => performance.now();

export async function buildDataset(req: BuildRequest, cityscapesCategories: readonly CocoCategory[]): Promise<BuildSummary> {
  const started = now();
  const log = req.log ?? (() => {});
  const model = { hash: req.translator.info.modelHash, engine: req.engine.name, backend: req.engine.backend };
  const plan = planBuild({ ...req, model, checks: req.checker ? req.checker.id : req.checkStatus }, cityscapesCategories);
  const unreadable = plan.unreadable[0]?.manifest.problem;
  if (unreadable && req.onError === 'fail') throw new DatasetError(unreadable.file, unreadable.reason, unreadable.pointer);
  claimOutput(req.output, plan.identity);
  if (plan.todo.length || plan.unreadable.length || recordCount(req.output) !== plan.kept.length) withdrawManifest(req.output);
  for (const state of plan.unreadable) writeSampleState(req.output, state);
  const { mine, kept, todo } = plan;
  log(`${mine.length} samples${req.shard ? ` in shard ${req.shard.index}/${req.shard.count}` : ''}: ${kept.length} up to date, ${todo.length} to build${plan.unreadable.length ? `, ${plan.unreadable.length} unreadable` : ''}`);
  req.onPlanned?.(todo.length);

  let done = 0;
  const progress = (busy: StageTimings): string => STAGES.map((s) => `${s} ${(busy[s] / 1000).toFixed(1)}s`).join(', ');
  const { built, busy } = await buildSamples({
    source: req.source, output: req.output, formats: req.formats, policy: req.policy, batch: req.batch,
    translator: req.translator, checker: req.checker, model, options: plan.options, onError: req.onError,
  }, todo, (_state, busyNow) => req.onProgress?.(++done, todo.length, progress(busyNow)));

  const states = finish(req.output, new Set(mine.map((i) => i.key)), plan.categories);
  const stats = (name: StageName): StageStats => ({
    items: name === 'check' && !req.checker ? 0 : built.length,
    seconds: round3(busy[name] / 1000),
    // Below a millisecond of busy time a rate says nothing (e.g. checks that are not available).
    perSecond: busy[name] >= 1 && !(name === 'check' && !req.checker) ? round3((built.length * 1000) / busy[name]) : 0,
  });
  const summary: BuildSummary = {
    direction: req.direction,
    input: plan.identity.input,
    output: req.output,
    files: { manifest: MANIFEST_FILE, timings: TIMINGS_FILE, report: REPORT_FILE, cityscapes: req.formats.includes('cityscapes') ? CITYSCAPES_FOLDER : null, coco: req.formats.includes('coco') ? COCO_FOLDER : null },
    shard: req.shard ?? null,
    samples: { ...sampleCounts(states), listed: plan.listed.length, inBuild: mine.length, upToDate: kept.length, built: built.length },
    model: { path: req.model.path, hash: model.hash },
    engine: { name: req.engine.name, backend: req.engine.backend, why: req.engine.why },
    options: plan.options,
    batch: req.batch,
    checks: req.checker ? `${req.checker.id}` : req.checkStatus,
    flags: flagStats(states),
    stages: Object.fromEntries(STAGES.map((s) => [s, stats(s)])) as Record<StageName, StageStats>,
    wallSeconds: round3((now() - started) / 1000),
    failures: failuresOf(states),
  };
  writeSummary(req.output, summary);
  await writeReport(req.output);
  return summary;
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

/**
 * Drops records of samples no longer in the build, writes the COCO jsons, removes dataset files
 * nothing accounts for, and writes the manifest last. Returns the records, sorted.
 */
export function finish(output: string, keys: ReadonlySet<string> | undefined, categories: CocoCategory[] | undefined): SampleState[] {
  let states = readAllStates(output);
  if (keys) {
    for (const s of states) if (!keys.has(s.manifest.sample)) removeSampleState(output, s.manifest.sample);
    states = states.filter((s) => keys.has(s.manifest.sample));
  }
  const cocoJsons = writeCocoJsons(output, states, categories);
  const keep = new Set([...cocoJsons, ...states.flatMap((s) => s.manifest.outputs.map((o) => o.path))]);
  sweepUnlisted(output, [CITYSCAPES_FOLDER, COCO_FOLDER], keep);
  writeManifest(output, states);
  return states;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Flags per class against the labelled objects of that class (hallucinations count as flags of their stuff class). */
export function flagStats(states: readonly SampleState[]): BuildSummary['flags'] {
  const byClass: Record<string, { objects: number; flagged: number; rate: number }> = {};
  let total = 0;
  for (const s of states) {
    for (const [name, n] of Object.entries(s.manifest.objects)) (byClass[name] ??= { objects: 0, flagged: 0, rate: 0 }).objects += n;
    for (const f of s.manifest.flags) {
      total++;
      (byClass[f.className] ??= { objects: 0, flagged: 0, rate: 0 }).flagged++;
    }
  }
  for (const row of Object.values(byClass)) row.rate = row.objects ? round3(row.flagged / row.objects) : 0;
  const sorted = Object.fromEntries(Object.entries(byClass).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { total, byClass: sorted };
}
