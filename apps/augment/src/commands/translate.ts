// `nightshift night|day` (build a translated dataset), and the commands around a build:
// `check` (checks again), `report` (rebuilds report.html), `merge` (assembles shard builds).
import { Option, type Command } from 'commander';
import { GENERATOR_ARCH_NAMES, generatorKinds, type GeneratorArchName, type PlanListener } from '@nightshift/cyclegan';
import { CITYSCAPES_COCO_CATEGORIES, formatProblem } from '@nightshift/labels';
import { NIGHT_IMAGE_FOLDER } from '@nightshift/datasets';
import { resolveDatasetInput, type DatasetInput } from '../dataset-input.ts';
import { DEFAULT_SAMPLE, DEFAULT_SEGMENTER, defaultOutput } from '../defaults.ts';
import { checkOutputBesideInput } from '../output-folder.ts';
import { printTable } from '../console.ts';
import { Progress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';
import { CHECK_CUES, loadChecker, type CheckCues, type CheckerAvailability } from '../pipeline/checks.ts';
import { checkBuild } from '../pipeline/check-build.ts';
import { createEngine, type EngineChoice } from '../pipeline/engine.ts';
import { mergeShards } from '../pipeline/merge.ts';
import { resolveModel, type ModelChoice } from '../pipeline/model.ts';
import { openSource, type SourceRequest } from '../pipeline/open-source.ts';
import type { RedisAddress } from '../pipeline/distributed/connection.ts';
import { runQueuedBuild } from '../pipeline/distributed/coordinator.ts';
import { QueueError } from '../pipeline/distributed/unit-queue.ts';
import { assertOutputUsable } from '../pipeline/state.ts';
import { lockOutput } from '../pipeline/lock.ts';
import { parseInteger, parseRedisUrl, parseShard, parseTile, resolveOutputFormats } from '../option-values.ts';
import {
  BACKENDS, ENGINES, FLAG_POLICIES, OUTPUT_FORMATS,
  type BackendRequest, type DatasetFormat, type Direction, type EngineRequest, type FlagPolicy, type OutputFormat, type Shard, type TileRequest,
} from '../pipeline/options.ts';
import { STAGES } from '../pipeline/record.ts';
import { semanticSummaryText, writeReport } from '../pipeline/report.ts';
import { buildDataset } from '../pipeline/run.ts';
import { ERROR_POLICIES, type ErrorPolicy } from '../pipeline/build-samples.ts';
import { EXIT } from '../exit-codes.ts';
import { readSummary, semanticTally, type BuildSummary } from '../pipeline/summary.ts';

export interface TranslateOptions {
  input?: string;
  inputFormat?: DatasetFormat;
  images?: string;
  split?: string;
  output?: string;
  outputFormat: OutputFormat;
  model?: string;
  arch?: GeneratorArchName;
  generator?: string;
  engine: EngineRequest;
  backend: BackendRequest;
  batch: number;
  tile: TileRequest;
  onFlag: FlagPolicy;
  shard?: Shard;
  limit?: number;
  seed: number;
  /** false: --no-checks. */
  checks: CheckCues | false;
  segmenter: string;
  onError: ErrorPolicy;
  queue?: RedisAddress;
  unitSize: number;
  queueTimeout: number;
  verbose?: boolean;
}

const choices = (flags: string, description: string, valid: readonly string[], fallback?: string): Option => {
  const o = new Option(flags, description).choices(valid as string[]);
  return fallback !== undefined ? o.default(fallback) : o;
};

// 'all' by default: the semantic cue abstains on the frames and objects it cannot judge (the day image
// tells), so it adds recall where it judges and no guess elsewhere; its price is the segmenter's time.
const checksOption = (): Option => choices('--checks <cues>', 'consistency check cues: structural (structure and stray lights), or all (and the semantic cue: a segmenter reading day and night, see --segmenter)', CHECK_CUES, 'all');

/** Registers night, day, check, report and merge on the program. */
export function registerBuildCommands(program: Command, setExit: (code: number) => void): void {
  for (const direction of ['night', 'day'] as const) {
    program.command(direction)
      .description(`Translate a dataset to ${direction}, carry the labels over, and write it as Cityscapes and/or COCO with a manifest and report.html. Reruns build only new or changed samples.`)
      .option('--input <root-or-json>', `input dataset: Cityscapes root or COCO instances json (default: the embedded sample${direction === 'day' ? "'s night renders" : ''})`)
      .addOption(choices('--input-format <format>', 'input format (default: guessed)', ['cityscapes', 'coco']))
      .option('--images <dir>', 'COCO input: the images folder (default: guessed); Cityscapes input: the image folder under the root (default leftImg8bit)')
      .option('--split <split>', 'Cityscapes input: only this split')
      .option('--output <dir>', `output folder, new or a previous build of the same input (default: dist/${direction})`)
      .addOption(choices('--output-format <format>', 'what to write: cityscapes, coco or both (COCO input: coco)', OUTPUT_FORMATS, 'both'))
      .option('--model <path>', 'checkpoint folder (config.json + G_A/G_B .safetensors; G_A for night, G_B for day), a generator .safetensors or .onnx, or a PyTorch .pth/.pt state_dict (CycleGAN, pix2pix or CUT; read without running its pickle code) (default: datasets/models/default)')
      .option('--generator <kind>', `the generator kind the model must be (${generatorKinds().map((k) => k.name).join(', ')}); the model's config.json or weights decide its kind, a model of another kind is refused before anything is written`)
      .addOption(choices('--arch <name>', 'bare weight files (.pth, .pt, .safetensors): the reference --netG architecture, instead of the one the keys show', GENERATOR_ARCH_NAMES))
      .addOption(choices('--engine <engine>', 'translation engine', ENGINES, 'auto'))
      .addOption(choices('--backend <backend>', 'tfjs backend (auto picks the fastest that works and says which)', BACKENDS, 'auto'))
      .option('--batch <n>', 'images per generator call', (v) => parseInteger(v, '--batch', 1), 4)
      .option('--tile <auto|off|px>', 'tiled inference: auto (whole images where they fit), off, or a tile side in pixels', parseTile, 'auto' as TileRequest)
      .addOption(choices('--on-flag <policy>', 'labels of flagged objects: keep, ignore (mark ignore in the labels) or drop (leave the sample out)', FLAG_POLICIES, 'ignore'))
      .option('--shard <i/n>', 'build only shard i of n (a round-robin part of the sorted sample list); assemble with nightshift merge', parseShard)
      .option('--limit <n>', 'only the first n samples of the sorted list', (v) => parseInteger(v, '--limit', 1))
      .option('--seed <n>', 'seed for randomised stages (checks); translation itself is deterministic', (v) => parseInteger(v, '--seed', 0), 0)
      .addOption(choices('--on-error <policy>', 'a sample that cannot be read or built: skip (record it in the manifest and summary, exit 3) or fail (stop at once, exit 1); dataset-level problems always stop the run', ERROR_POLICIES, 'skip'))
      .addOption(checksOption())
      .option('--no-checks', 'skip the consistency checks: labels are carried over unchecked (recorded as such)')
      .option('--segmenter <dir>', '--checks all: the segmenter folder (segmenter.json and its ONNX model)', DEFAULT_SEGMENTER)
      .option('--queue <redis-url>', 'coordinate a build run by `nightshift worker` processes on a BullMQ queue in this Redis (redis://host:port/db); workers must see --output and the input at the same paths', parseRedisUrl)
      .option('--unit-size <n>', '--queue: samples per work unit', (v) => parseInteger(v, '--unit-size', 1), 8)
      .option('--verbose', 'print the full reasons for the engine choice (they are in summary.json either way)')
      .option('--queue-timeout <s>', '--queue: seconds Redis may be unreachable before the coordinator stops (a rerun resumes)', (v) => parseInteger(v, '--queue-timeout', 1), 60)
      .action(async (opts) => setExit(await runTranslate(direction, opts as TranslateOptions)));
  }

  program.command('check')
    .description('Run the consistency checks again on an existing build (writes checks.jsonl).')
    .requiredOption('--output <dir>', 'the build folder (as written by nightshift night|day)')
    .option('--seed <n>', 'seed for randomised checks', (v) => parseInteger(v, '--seed', 0), 0)
    .addOption(checksOption())
    .option('--segmenter <dir>', '--checks all: the segmenter folder (segmenter.json and its ONNX model)', DEFAULT_SEGMENTER)
    .action(async (opts) => setExit(await runCheck(opts)));

  program.command('report')
    .description('Rebuild report.html of a build from its manifest and summary.')
    .requiredOption('--output <dir>', 'the build folder')
    .action(async (opts) => setExit(await runReport(opts)));

  program.command('merge')
    .description('Assemble the folders of --shard i/n builds into one build, identical to an unsharded build.')
    .requiredOption('--output <dir>', 'the merged build folder (new, or a previous merge of the same shards)')
    .argument('<shard-dirs...>', 'the shard build folders, one per shard')
    .action(async (dirs: string[], opts) => setExit(await runMerge(opts.output, dirs)));
}

export async function runTranslate(direction: Direction, opts: TranslateOptions): Promise<number> {
  const embedded = opts.input === undefined;
  const input = resolveDatasetInput(opts.input ?? DEFAULT_SAMPLE, opts.inputFormat, opts.images);
  const output = checkOutputBesideInput(opts.output ?? defaultOutput(direction), input.path);
  assertOutputUsable(output);
  if (opts.queue && opts.shard) throw new UsageError('--queue and --shard do not go together: a queued build spreads the whole list over its workers');
  const kinds = generatorKinds().map((k) => k.name);
  if (opts.generator !== undefined && !kinds.includes(opts.generator)) throw new UsageError(`--generator must be one of ${kinds.join(', ')}, got "${opts.generator}"`);
  // The model opens before the output is locked (which creates the folder): a model that cannot be
  // used (unreadable, its config and weights of different kinds, not the --generator kind) leaves no trace.
  const model = resolveModel(opts.model, direction, opts.arch);
  // So does the checker (and its segmenter): a wrong segmenter writes nothing either.
  const checkRequest = opts.checks ? { cues: opts.checks, ...(opts.checks === 'all' ? { segmenter: opts.segmenter } : {}) } : undefined;
  const checks = checkRequest ? { ...(await loadChecker({ seed: opts.seed, ...checkRequest })), request: checkRequest } : { checker: undefined, status: 'off (--no-checks)' };
  const onPlan: PlanListener = (w, h, plan) => console.log(`  plan: ${w}x${h} images (padded) run ${plan.mode === 'whole' ? `whole, up to ${plan.batch} per run` : `tiled: ${plan.why}`}`);
  const engine = await createEngine(opts.engine, {
    model, backend: opts.backend, batch: opts.batch, tile: opts.tile, onPlan, sharded: opts.shard !== undefined, previous: previousEngine(output), generator: opts.generator,
  });
  try {
    const lock = lockOutput(output, `nightshift ${direction}${opts.queue ? ' --queue' : ''}`);
    try {
      return await translateInto(output, input, embedded, direction, opts, model, engine, checks);
    } finally {
      lock.release();
    }
  } finally {
    engine.translator.dispose();
  }
}

async function translateInto(
  output: string, input: DatasetInput, embedded: boolean, direction: Direction, opts: TranslateOptions, model: ModelChoice, engine: EngineChoice,
  checks: CheckerAvailability & { request?: { cues: CheckCues; segmenter?: string } },
): Promise<number> {
  const formats = resolveOutputFormats(opts.outputFormat, input.format, opts.outputFormat !== 'both');
  const imageFolder = input.format === 'cityscapes' ? (opts.images ?? (embedded && direction === 'day' ? NIGHT_IMAGE_FOLDER : undefined)) : undefined;
  const sourceRequest: SourceRequest = { format: input.format, path: input.path, imagesRoot: input.imagesRoot, imageFolder, split: opts.split };
  const source = await openSource(sourceRequest);
  if (source.items.length === 0) throw new UsageError(`${input.path}: the input has no samples`);

  console.log(`nightshift ${direction}: ${input.format} ${input.path}${embedded ? ' (the embedded sample)' : ''}${imageFolder ? `, images from ${imageFolder}/` : ''}`);
  console.log(`  output: ${output} (${formats.join(' + ')})`);
  if (input.format === 'coco' && opts.outputFormat === 'both') console.log('  COCO input is written as COCO only (convert to Cityscapes first for a Cityscapes output)');
  const engineRecord = { name: engine.engine, backend: engine.backend, why: [engine.reason.line, ...engine.reason.details].join('; ') };
  console.log(`  model: ${model.path}${model.which ? ` (${model.which})` : ''}, weights sha256 ${engine.translator.info.modelHash.slice(0, 16)}…${model.source ? `, from ${model.source.file} (sha256 ${model.source.sha256.slice(0, 16)}…)` : ''}`);
  console.log(`  engine: ${engine.reason.line}`);
  if (opts.verbose) for (const line of engine.reason.details) console.log(`    ${line}`);
  console.log(`  checks: ${checks.status}`);

  let progress: Progress | undefined;
  try {
    const summary = opts.queue ? await runQueuedBuild({
      direction, source, input: sourceRequest, output, formats, policy: opts.onFlag, tile: opts.tile, batch: opts.batch, seed: opts.seed,
      limit: opts.limit, onError: opts.onError, model, engine: engineRecord,
      modelHash: engine.translator.info.modelHash, checker: checks.checker, checkRequest: checks.request, checkStatus: checks.status,
      redis: opts.queue, unitSize: opts.unitSize, redisTimeoutMs: opts.queueTimeout * 1000,
      log: (line) => console.log(`  ${line}`),
      onPlanned: (todo) => { if (todo > 0) progress = new Progress(direction, todo); },
      onProgress: (done, _total, extra) => progress?.update(done, extra),
    }, CITYSCAPES_COCO_CATEGORIES) : await buildDataset({
      direction, source, output, formats, policy: opts.onFlag, tile: opts.tile, batch: opts.batch, seed: opts.seed,
      limit: opts.limit, shard: opts.shard, onError: opts.onError, translator: engine.translator,
      engine: engineRecord, model: { path: model.path, source: model.source },
      checker: checks.checker, checkStatus: checks.status,
      log: (line) => console.log(`  ${line}`),
      onPlanned: (todo) => { if (todo > 0) progress = new Progress(direction, todo); },
      onProgress: (done, _total, extra) => progress?.update(done, extra),
    }, CITYSCAPES_COCO_CATEGORIES);
    progress?.stop();
    printSummary(summary);
    return summary.failures.length ? EXIT.skipped : EXIT.ok;
  } catch (error) {
    if (!(error instanceof QueueError)) throw error;
    progress?.stop();
    console.error(`nightshift: ${error.message}`);
    return EXIT.error;
  } finally {
    progress?.stop();
  }
}

/** The engine and backend of this output's previous run, which --engine auto keeps where it still opens. */
function previousEngine(output: string): { engine: string; backend: string } | undefined {
  try {
    const { engine } = readSummary(output);
    return { engine: engine.name, backend: engine.backend };
  } catch {
    return undefined; // a new build, or one that never finished a run
  }
}

function printSummary(s: BuildSummary): void {
  const n = s.samples;
  console.log(`Built ${n.built} samples, ${n.upToDate} already up to date, ${n.failed} skipped; the dataset holds ${n.written} samples${n.dropped ? ` (${n.dropped} dropped by --on-flag drop)` : ''}.`);
  printTable(['stage', 'samples', 'busy s', 'samples/s'], STAGES.map((st) => [st, s.stages[st].items, s.stages[st].seconds.toFixed(2), s.stages[st].perSecond.toFixed(2)]));
  console.log(`  wall time ${s.wallSeconds.toFixed(1)} s; flags: ${/^(not available|off)/.test(s.checks) ? `none (checks ${s.checks})` : s.flags.total}`);
  if (s.flags.semantic) console.log(`  ${semanticSummaryText(s.flags.semantic)}`);
  if (s.queue) {
    console.log(`  queue: ${s.queue.units.done} units on ${s.queue.redis}, ${s.queue.retries} retries (${s.queue.lost} lost with their worker)${s.queue.recordsLost ? `; Redis forgot the attempt records of ${s.queue.recordsLost} units when it restarted` : ''}`);
    printTable(['worker', 'units', 'samples', 'seconds', 'samples/s', 'retries', 'failures'], s.queue.workers.map((w) => [w.id, w.units, w.samples, w.seconds.toFixed(2), w.samplesPerSecond.toFixed(2), w.retries, w.failures]));
  }
  console.log(`  ${s.output}/${s.files.manifest}, summary.json, ${s.files.report}${s.queue ? `, ${s.queue.log}` : ''}`);
  for (const f of s.failures) console.error(`nightshift: skipped ${f.sample}: ${formatProblem(f)}`);
  if (s.failures.length) console.error(`nightshift: ${s.failures.length} sample${s.failures.length > 1 ? 's' : ''} skipped (listed in manifest.jsonl and summary.json); fix the files and rerun to build them`);
}

export async function runCheck(opts: { output: string; seed: number; checks: CheckCues; segmenter: string }): Promise<number> {
  const { checker, status } = await loadChecker({ seed: opts.seed, cues: opts.checks, segmenter: opts.segmenter });
  if (!checker) {
    console.error(`nightshift check: checks ${status}; nothing was checked.`);
    return 1;
  }
  const results = await checkBuild(opts.output, checker);
  const flags = results.flatMap((r) => r.flags);
  const perClass = new Map<string, number>();
  for (const f of flags) perClass.set(`${f.kind} ${f.className}`, (perClass.get(`${f.kind} ${f.className}`) ?? 0) + 1);
  console.log(`Checked ${results.length} samples with ${checker.id}: ${flags.length} flags.`);
  printTable(['flag', 'count'], [...perClass.entries()].sort(([a], [b]) => a.localeCompare(b)));
  const semantic = semanticTally(results.map((r) => r.semantic));
  if (semantic) console.log(semanticSummaryText(semantic));
  return 0;
}

export async function runReport(opts: { output: string }): Promise<number> {
  const path = await writeReport(opts.output);
  console.log(`Wrote ${path}`);
  return 0;
}

export async function runMerge(output: string, dirs: string[]): Promise<number> {
  for (const dir of dirs) checkOutputBesideInput(output, dir);
  const lock = lockOutput(output, 'nightshift merge');
  let merged: Awaited<ReturnType<typeof mergeShards>>;
  try {
    merged = await mergeShards(output, dirs);
  } finally {
    lock.release();
  }
  const { summary, copied } = merged;
  console.log(`Merged ${dirs.length} shards into ${summary.output}: ${summary.samples.written} samples (${copied} files copied).`);
  return summary.failures.length ? EXIT.skipped : EXIT.ok;
}
