// One dataset build: plan (which samples are new or changed), then decode → translate in batches →
// check → policy + write as stages joined by bounded queues, then assemble the top-level files.
import { DatasetError, type CocoCategory } from '@nightshift/labels';
import type { Checker, Flag } from './checks.ts';
import type { RgbImage, Translator } from '@nightshift/cyclegan';
import { canonicalJson, sha256 } from './hash.ts';
import { shardIndices, type DatasetFormat, type Direction, type FlagPolicy, type Shard, type TileRequest } from './options.ts';
import { BoundedQueue, runStages } from './queue.ts';
import { STAGES, type BuildOptionsRecord, type FileRecord, type ModelRecord, type SampleState, type StageName, type StageTimings } from './record.ts';
import { decodeSample, hashSourceFile, type DecodedSample, type SourceDataset, type SourceItem } from './sources.ts';
import {
  claimOutput, outputsIntact, readAllStates, readSampleState, removeSampleState, sweepUnlisted, writeSampleState,
  type RunIdentity,
} from './state.ts';
import { MANIFEST_FILE, REPORT_FILE, SUMMARY_FILE, TIMINGS_FILE, writeAssembled } from './assemble.ts';
import { CITYSCAPES_FOLDER, COCO_FOLDER, writeSample } from './write-sample.ts';
import { writeSummary, type BuildSummary, type StageStats } from './summary.ts';
import { writeReport } from './report.ts';

export interface BuildRequest {
  direction: Direction;
  source: SourceDataset;
  output: string;
  formats: DatasetFormat[];
  policy: FlagPolicy;
  tile: TileRequest;
  batch: number;
  seed: number;
  limit?: number;
  shard?: Shard;
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

interface Planned {
  item: SourceItem;
  files: FileRecord[];
  key: string;
}

interface InFlight extends Planned {
  sample: DecodedSample;
  translated?: RgbImage;
  flags?: Flag[];
  ms: StageTimings;
}

const now = (): number => performance.now();

/** The sorted list a build works on: --limit first, then the shard's round-robin part. */
export function selectItems(items: readonly SourceItem[], limit: number | undefined, shard: Shard | undefined): { listed: SourceItem[]; mine: SourceItem[] } {
  const listed = limit !== undefined ? items.slice(0, limit) : [...items];
  return { listed, mine: shardIndices(listed.length, shard).map((i) => listed[i]) };
}

export function cocoCategoriesFor(source: SourceDataset, formats: readonly DatasetFormat[], cityscapesCategories: readonly CocoCategory[]): CocoCategory[] | undefined {
  if (!formats.includes('coco')) return undefined;
  return (source.format === 'coco' ? source.categories : cityscapesCategories).map((c) => ({ ...c }));
}

export async function buildDataset(req: BuildRequest, cityscapesCategories: readonly CocoCategory[]): Promise<BuildSummary> {
  const started = now();
  const log = req.log ?? (() => {});
  const { listed, mine } = selectItems(req.source.items, req.limit, req.shard);
  const categories = cocoCategoriesFor(req.source, req.formats, cityscapesCategories);
  const identity: RunIdentity = {
    format: 'nightshift-build', version: 1, direction: req.direction,
    input: {
      format: req.source.format, root: req.source.root,
      ...(req.source.json ? { json: req.source.json } : {}),
      ...(req.source.format === 'cityscapes' ? { imageFolder: req.source.imageFolder } : {}),
    },
    ...(req.shard ? { shard: req.shard } : {}),
    listed: listed.length,
    ...(categories ? { cocoCategories: categories } : {}),
  };
  claimOutput(req.output, identity);

  const model: ModelRecord = { hash: req.translator.info.modelHash, engine: req.engine.name, backend: req.engine.backend };
  const options: BuildOptionsRecord = {
    direction: req.direction,
    ...(req.source.format === 'cityscapes' ? { imageFolder: req.source.imageFolder } : {}),
    outputFormats: req.formats,
    onFlag: req.policy,
    tile: req.tile,
    seed: req.seed,
    checks: req.checker ? req.checker.id : req.checkStatus,
    ...(categories && req.source.format === 'coco' ? { categories: sha256(canonicalJson(categories)) } : {}),
  };

  // Plan: hash every input; a sample whose key and outputs are unchanged is not built again.
  const todo: Planned[] = [];
  const kept: SampleState[] = [];
  const failures: { sample: string; error: string }[] = [];
  for (const item of mine) {
    let files: FileRecord[];
    try {
      files = item.files.map((f) => ({ role: f.role, path: f.path, sha256: hashSourceFile(f) }));
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      failures.push({ sample: item.key, error: error.message });
      continue;
    }
    const key = sha256(canonicalJson({ files, model, options }));
    const state = readSampleState(req.output, item.key);
    if (state && state.manifest.key === key && outputsIntact(req.output, state)) kept.push(state);
    else todo.push({ item, files, key });
  }
  log(`${mine.length} samples${req.shard ? ` in shard ${req.shard.index}/${req.shard.count}` : ''}: ${kept.length} up to date, ${todo.length} to build`);
  req.onPlanned?.(todo.length);

  const built: SampleState[] = [];
  const busy: Record<StageName, number> = { decode: 0, translate: 0, check: 0, write: 0 };
  const categoryNames = new Map((req.source.categories ?? []).map((c) => [c.id, c.name]));
  const depth = Math.max(2, req.batch * 2);
  const decoded = new BoundedQueue<InFlight>(depth);
  const translated = new BoundedQueue<InFlight>(depth);
  const checked = new BoundedQueue<InFlight>(depth);
  const queues = [decoded, translated, checked] as BoundedQueue<unknown>[];
  const progress = (): string => STAGES.map((s) => `${s} ${(busy[s] / 1000).toFixed(1)}s`).join(', ');
  let done = 0;

  // A bad sample is recorded and the build goes on; it is not marked done, so the next run retries it.
  const fail = (p: Planned, error: unknown): void => {
    if (!(error instanceof DatasetError) && !(error instanceof RangeError)) throw error;
    failures.push({ sample: p.item.key, error: (error as Error).message });
    done++;
    req.onProgress?.(done, todo.length, progress());
  };

  await runStages(queues, [
    async () => {
      for (const p of todo) {
        const t = now();
        try {
          const sample = await decodeSample(p.item, categoryNames);
          const ms = { decode: now() - t, translate: 0, check: 0, write: 0 };
          busy.decode += ms.decode;
          await decoded.push({ ...p, sample, ms });
        } catch (error) {
          fail(p, error);
        }
      }
      decoded.close();
    },
    async () => {
      for (;;) {
        const batch = await decoded.takeBatch(req.batch);
        if (batch.length === 0) break;
        const t = now();
        const outputs = await req.translator.translate(batch.map((b) => b.sample.rgb));
        const each = (now() - t) / batch.length;
        busy.translate += now() - t;
        for (let k = 0; k < batch.length; k++) await translated.push({ ...batch[k], translated: outputs[k], ms: { ...batch[k].ms, translate: each } });
      }
      translated.close();
    },
    // Checks: the seam for worker threads. Checker.check is async, so a checker that posts the
    // work to a pool lets this stage overlap the others without any change here.
    async () => {
      for (let f = await translated.take(); f; f = await translated.take()) {
        const t = now();
        const { sample } = f;
        const flags = req.checker
          ? await req.checker.check({
            id: f.item.key, width: sample.width, height: sample.height, source: sample.rgb, objects: sample.objects,
            semantic: sample.semantic, instances: sample.instances, objectMask: sample.objectMask,
          }, f.translated!)
          : [];
        const ms = now() - t;
        busy.check += ms;
        await checked.push({ ...f, flags, ms: { ...f.ms, check: ms } });
      }
      checked.close();
    },
    async () => {
      for (let f = await checked.take(); f; f = await checked.take()) {
        const t = now();
        try {
          const written = await writeSample({ output: req.output, formats: req.formats, policy: req.policy }, f.sample, f.translated!, f.flags!, f.files);
          const ms = { ...f.ms, write: now() - t };
          busy.write += ms.write;
          const state: SampleState = {
            manifest: {
              sample: f.item.key, id: f.item.id, split: f.item.split,
              source: { format: req.source.format, files: f.files },
              key: f.key, model, options, objects: objectCounts(f.sample), status: written.status, outputs: written.outputs, flags: f.flags!, actions: written.actions,
            },
            ...(written.coco ? { coco: written.coco } : {}),
            timings: roundTimings(ms),
          };
          writeSampleState(req.output, state);
          built.push(state);
          done++;
          req.onProgress?.(done, todo.length, progress());
        } catch (error) {
          fail(f, error);
        }
      }
    },
  ]);

  const states = finish(req.output, new Set(mine.map((i) => i.key)), categories);
  const stats = (name: StageName): StageStats => ({
    items: name === 'check' && !req.checker ? 0 : built.length,
    seconds: round3(busy[name] / 1000),
    // Below a millisecond of busy time a rate says nothing (e.g. checks that are not available).
    perSecond: busy[name] >= 1 && !(name === 'check' && !req.checker) ? round3((built.length * 1000) / busy[name]) : 0,
  });
  const summary: BuildSummary = {
    direction: req.direction,
    input: identity.input,
    output: req.output,
    files: { manifest: MANIFEST_FILE, timings: TIMINGS_FILE, report: REPORT_FILE, cityscapes: req.formats.includes('cityscapes') ? CITYSCAPES_FOLDER : null, coco: req.formats.includes('coco') ? COCO_FOLDER : null },
    shard: req.shard ?? null,
    samples: {
      listed: listed.length, inBuild: mine.length, upToDate: kept.length, built: built.length, failed: failures.length,
      written: states.filter((s) => s.manifest.status === 'written').length,
      dropped: states.filter((s) => s.manifest.status === 'dropped').length,
    },
    model: { path: req.model.path, hash: model.hash },
    engine: { name: req.engine.name, backend: req.engine.backend, why: req.engine.why },
    options,
    batch: req.batch,
    checks: req.checker ? `${req.checker.id}` : req.checkStatus,
    flags: flagStats(states),
    stages: Object.fromEntries(STAGES.map((s) => [s, stats(s)])) as Record<StageName, StageStats>,
    wallSeconds: round3((now() - started) / 1000),
    failures,
  };
  writeSummary(req.output, summary);
  await writeReport(req.output);
  return summary;
}

/**
 * Drops records of samples no longer in the build, assembles the top-level files from the records
 * and removes dataset files nothing accounts for. Returns the records, sorted.
 */
export function finish(output: string, keys: ReadonlySet<string> | undefined, categories: CocoCategory[] | undefined): SampleState[] {
  let states = readAllStates(output);
  if (keys) {
    for (const s of states) if (!keys.has(s.manifest.sample)) removeSampleState(output, s.manifest.sample);
    states = states.filter((s) => keys.has(s.manifest.sample));
  }
  const assembled = writeAssembled(output, states, categories);
  const keep = new Set([...assembled, ...states.flatMap((s) => s.manifest.outputs.map((o) => o.path))]);
  sweepUnlisted(output, [CITYSCAPES_FOLDER, COCO_FOLDER], keep);
  return states;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function roundTimings(ms: StageTimings): StageTimings {
  return Object.fromEntries(STAGES.map((s) => [s, Math.round(ms[s] * 10) / 10])) as StageTimings;
}

function objectCounts(sample: DecodedSample): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of [...sample.objects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) counts[o.name] = (counts[o.name] ?? 0) + 1;
  return counts;
}

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
