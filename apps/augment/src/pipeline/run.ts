// One dataset build on this machine: plan (which samples are new or changed), build them, then
// assemble the top-level files and the run's summary and report.
import type { CocoCategory } from '@nightshift/labels';
import type { Checker } from './checks.ts';
import type { Translator } from '@nightshift/cyclegan';
import { buildSamples, type ErrorPolicy } from './build-samples.ts';
import { planAndClaimBuild, type BuildSettings } from './plan.ts';
import { STAGES, modelRecord, type StageTimings } from './record.ts';
import { assembleBuild } from './assemble.ts';
import { summarizeBuild, writeSummary, type BuildSummary } from './summary.ts';
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
  const plan = planAndClaimBuild(settings, req.onError, cityscapesCategories);
  const { mine, kept, todo } = plan;
  log(`${mine.length} samples${req.shard ? ` in shard ${req.shard.index}/${req.shard.count}` : ''}: ${kept.length} up to date, ${todo.length} to build${plan.unreadable.length ? `, ${plan.unreadable.length} unreadable` : ''}`);
  req.onPlanned?.(todo.length);

  let done = 0;
  const progress = (busy: StageTimings): string => STAGES.map((s) => `${s} ${(busy[s] / 1000).toFixed(1)}s`).join(', ');
  const { built, busy } = await buildSamples({
    source: req.source, output: req.output, formats: req.formats, policy: req.policy, cocoCategories: plan.categories, batch: req.batch,
    translator: req.translator, checker: req.checker, model, options: plan.options, onError: req.onError,
  }, todo, (_state, busyNow) => req.onProgress?.(++done, todo.length, progress(busyNow)));

  const states = assembleBuild(req.output, new Set(mine.map((i) => i.key)), plan.categories);
  const summary = summarizeBuild({
    settings, plan, states, built: built.length, busy, checked: req.checker !== undefined,
    modelPath: req.model.path, engine: req.engine, batch: req.batch, startedMs: started,
  });
  writeSummary(req.output, summary);
  await writeReport(req.output);
  return summary;
}
