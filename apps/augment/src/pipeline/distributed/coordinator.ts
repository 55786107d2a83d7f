// The coordinator of a queued build (`nightshift night|day --queue redis://...`): it plans like a local
// run, writes the build spec into the shared output, enqueues the units that have samples to build,
// waits for the workers while showing the aggregate progress, then assembles the dataset exactly as a
// local run does. It holds the output lock; the workers do not take it.
import { join } from 'node:path';
import { writeFileAtomic, type CocoCategory } from '@nightshift/labels';
import type { CheckCues, Checker } from '../checks.ts';
import { planAndClaimBuild, upToDate, type BuildSettings, type Planned } from '../plan.ts';
import { assembleBuild } from '../assemble.ts';
import { modelRecord as makeModelRecord } from '../record.ts';
import type { SourceDataset } from '../sources.ts';
import { writeReport } from '../report.ts';
import { summarizeBuild, writeSummary, type BuildSummary } from '../summary.ts';
import type { RedisAddress } from './connection.ts';
import { QueueError, UnitQueue } from './unit-queue.ts';
import {
  QUEUE_LOG_FILE, QUEUE_NAME, buildId, readQueueFile, unitsOf, writeQueueFile, type BuildSpec,
} from './spec.ts';
import { queueLogText, workerStats, type QueueSummary } from './stats.ts';

/** The spec's fields the coordinator is given (it derives the model record, options and checks flag). */
export interface QueuedBuildRequest extends Omit<BuildSpec, 'modelRecord' | 'options' | 'checks'> {
  source: SourceDataset;
  modelHash: string;
  checker?: Checker;
  /** What the workers open the checker with (the checker's own request). */
  checkRequest?: { cues: CheckCues; segmenter?: string };
  checkStatus: string;
  redis: RedisAddress;
  /** How long Redis may be unreachable before the coordinator stops (the workers keep retrying). */
  redisTimeoutMs: number;
  pollMs?: number;
  onPlanned?: (todo: number) => void;
  onProgress?: (done: number, total: number, extra: string) => void;
  log?: (line: string) => void;
}

export async function runQueuedBuild(req: QueuedBuildRequest, cityscapesCategories: readonly CocoCategory[]): Promise<BuildSummary> {
  const started = performance.now();
  const log = req.log ?? (() => {});
  const modelRecord = makeModelRecord(req.modelHash, req.engine, req.model.source);
  const settings: BuildSettings = { ...req, model: modelRecord, checks: req.checker ? req.checker.id : req.checkStatus };
  const plan = planAndClaimBuild(settings, req.onError, cityscapesCategories);

  const spec: BuildSpec = {
    direction: req.direction, input: req.input, output: req.output, formats: req.formats, policy: req.policy, tile: req.tile,
    batch: req.batch, seed: req.seed, ...(req.limit !== undefined ? { limit: req.limit } : {}), onError: req.onError,
    model: req.model, engine: req.engine, modelRecord, options: plan.options, checks: req.checker !== undefined ? req.checkRequest ?? { cues: 'structural' } : false, unitSize: req.unitSize,
  };
  const build = buildId(spec);
  const previous = readQueueFile(req.output);
  const since = previous && previous.build === build && !previous.finished ? previous.since : Date.now();
  writeQueueFile(req.output, { format: 'nightshift-queue', version: 1, build, since, spec });

  const units = unitsOf(plan.mine.map((item) => item.key), req.unitSize);
  const stillTodo = (planned: readonly Planned[]): Planned[] => planned.filter((p) => !upToDate(req.output, p));
  const queue = await UnitQueue.open(req.redis, req.redisTimeoutMs, req.output, log);
  try {
    const todoKeys = new Map(plan.todo.map((p) => [p.item.key, p]));
    const { pending, enqueued, alreadyQueued } = await queue.enqueue(build, units.map((keys) => keys.flatMap((k) => todoKeys.get(k) ?? [])), stillTodo);
    const total = [...pending.values()].reduce((t, p) => t + p.planned.length, 0);
    log(`${plan.mine.length} samples: ${plan.kept.length} up to date, ${total} to build${plan.unreadable.length ? `, ${plan.unreadable.length} unreadable` : ''}; ` +
      `${units.length} units of ${req.unitSize} on ${req.redis.display} (build ${build}): ${enqueued} enqueued, ${alreadyQueued} already queued`);
    if (total > 0) log(`waiting for workers: run \`nightshift worker --queue ${req.redis.display}\` where ${req.output} and the input are at the same paths`);
    req.onPlanned?.(total);
    const failed = await queue.wait(build, since, pending, stillTodo, req.pollMs ?? 1000, (done, extra) => req.onProgress?.(done, total, extra), log);
    if (failed.length) {
      throw new QueueError(`${failed.length} unit${failed.length > 1 ? 's' : ''} failed on every attempt; rerun the same command to try again:\n  ${failed.join('\n  ')}`);
    }
    const { logs: unitLogs, built, busy } = await queue.history(build, units.length, since);

    const states = assembleBuild(req.output, new Set(plan.mine.map((i) => i.key)), plan.categories);
    writeFileAtomic(join(req.output, QUEUE_LOG_FILE), queueLogText(unitLogs));
    const queueSummary: QueueSummary = {
      redis: req.redis.display, queue: QUEUE_NAME, build, unitSize: req.unitSize,
      units: { inBuild: units.length, enqueued, alreadyQueued, done: unitLogs.length },
      retries: unitLogs.reduce((t, u) => t + Math.max(0, u.attempts.length - 1), 0),
      lost: unitLogs.reduce((t, u) => t + u.attempts.filter((a) => a.outcome === 'lost').length, 0),
      recordsLost: unitLogs.filter((u) => u.recordsLost).length,
      workers: workerStats(unitLogs),
      log: QUEUE_LOG_FILE,
    };
    const summary: BuildSummary = {
      ...summarizeBuild({
        settings, plan, states, built, busy, checked: req.checker !== undefined, modelPath: req.model.path,
        engine: { ...req.engine, why: `${req.engine.why}; run by queue workers` }, batch: req.batch, startedMs: started,
      }),
      queue: queueSummary,
    };
    writeSummary(req.output, summary);
    await writeReport(req.output);
    writeQueueFile(req.output, { format: 'nightshift-queue', version: 1, build, since, finished: true, spec });
    return summary;
  } finally {
    await queue.close();
  }
}

