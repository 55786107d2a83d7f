// One dataset build on this machine: plan (which samples are new or changed), build them, then
// assemble the top-level files and the run's summary and report.
import { DatasetError, type CocoCategory } from '@nightshift/labels';
import type { Checker } from './checks.ts';
import type { Translator } from '@nightshift/cyclegan';
import { buildSamples, type ErrorPolicy } from './build-samples.ts';
import { planBuild, type BuildPlan, type BuildSettings } from './plan.ts';
import { STAGES, modelRecord, type SampleState, type StageName, type StageTimings } from './record.ts';
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
  model: { path: string; source?: { file: string; sha256: string } };
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
  const model = modelRecord(req.translator.info.modelHash, req.engine, req.model.source);
  const settings: BuildSettings = { ...req, model, checks: req.checker ? req.checker.id : req.checkStatus };
  const plan = openBuild(settings, req.onError, cityscapesCategories);
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
  const summary = summarizeBuild({
    settings, plan, states, built: built.length, busy, checked: req.checker !== undefined,
    modelPath: req.model.path, engine: req.engine, batch: req.batch, startedMs: started,
  });
  writeSummary(req.output, summary);
  await writeReport(req.output);
  return summary;
}

/**
 * Plans a build and claims its output: --on-error fail stops at an unreadable sample, a build with
 * work to do withdraws the manifest until it is assembled again, and unreadable samples are recorded.
 */
export function openBuild(settings: BuildSettings, onError: ErrorPolicy, cityscapesCategories: readonly CocoCategory[]): BuildPlan {
  const plan = planBuild(settings, cityscapesCategories);
  const unreadable = plan.unreadable[0]?.manifest.problem;
  if (unreadable && onError === 'fail') throw new DatasetError(unreadable.file, unreadable.reason, unreadable.pointer);
  claimOutput(settings.output, plan.identity);
  if (plan.todo.length || plan.unreadable.length || recordCount(settings.output) !== plan.kept.length) withdrawManifest(settings.output);
  for (const state of plan.unreadable) writeSampleState(settings.output, state);
  return plan;
}

export interface BuildFacts {
  settings: BuildSettings;
  plan: BuildPlan;
  /** The records after finish(). */
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

/** summary.json of a run that built `built` samples, local or queued. */
export function summarizeBuild(f: BuildFacts): BuildSummary {
  const { settings, plan, states, built, busy } = f;
  const stats = (name: StageName): StageStats => ({
    items: name === 'check' && !f.checked ? 0 : built,
    seconds: round3(busy[name] / 1000),
    // Below a millisecond of busy time a rate says nothing (e.g. checks that are not available).
    perSecond: busy[name] >= 1 && !(name === 'check' && !f.checked) ? round3((built * 1000) / busy[name]) : 0,
  });
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
    stages: Object.fromEntries(STAGES.map((s) => [s, stats(s)])) as Record<StageName, StageStats>,
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
