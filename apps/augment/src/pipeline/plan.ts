// The plan of a build: what the output folder is a build of, the records that decide each sample's
// bytes, and which samples are up to date, which must be built, and which cannot be read at all; and
// the claim of the output folder for the build so planned.
import { DatasetError, type CocoCategory } from '@nightshift/labels';
import { canonicalJson, sha256 } from './hash.ts';
import { shardIndices, type DatasetFormat, type Direction, type FlagPolicy, type Shard, type TileRequest } from './options.ts';
import type { BuildOptionsRecord, FileRecord, ModelRecord, SampleState } from './record.ts';
import { hashSourceFile, type SourceDataset, type SourceItem } from './sources.ts';
import { claimOutput, outputsIntact, readSampleState, recordCount, writeSampleState, type RunIdentity } from './state.ts';
import { withdrawManifest } from './assemble.ts';
import type { ErrorPolicy } from './build-samples.ts';

/** What decides the output bytes of a build, besides the input files. */
export interface BuildSettings {
  direction: Direction;
  source: SourceDataset;
  output: string;
  formats: DatasetFormat[];
  policy: FlagPolicy;
  tile: TileRequest;
  seed: number;
  limit?: number;
  shard?: Shard;
  /** sha256 of the generator weights, and the engine and backend that run it. */
  model: ModelRecord;
  /** The checker's id, or why there are no checks. */
  checks: string;
}

/** A sample to build: its input files hashed, and the key its record must match to be up to date. */
export interface Planned {
  item: SourceItem;
  files: FileRecord[];
  key: string;
}

export interface BuildPlan {
  identity: RunIdentity;
  listed: SourceItem[];
  mine: SourceItem[];
  categories: CocoCategory[] | undefined;
  options: BuildOptionsRecord;
  kept: SampleState[];
  todo: Planned[];
  /** Samples whose input files cannot be read: recorded as failed without being built. */
  unreadable: SampleState[];
}

/** The sorted list a build works on: --limit first, then the shard's round-robin part. */
export function selectItems(items: readonly SourceItem[], limit: number | undefined, shard: Shard | undefined): { listed: SourceItem[]; mine: SourceItem[] } {
  const listed = limit !== undefined ? items.slice(0, limit) : [...items];
  return { listed, mine: shardIndices(listed.length, shard).map((i) => listed[i]) };
}

export function cocoCategoriesFor(source: SourceDataset, formats: readonly DatasetFormat[], cityscapesCategories: readonly CocoCategory[]): CocoCategory[] | undefined {
  if (!formats.includes('coco')) return undefined;
  return (source.format === 'coco' ? source.categories : cityscapesCategories).map((c) => ({ ...c }));
}

export function runIdentity(settings: BuildSettings, listed: number, categories: CocoCategory[] | undefined): RunIdentity {
  const { source } = settings;
  return {
    format: 'nightshift-build', version: 1, direction: settings.direction,
    input: {
      format: source.format, root: source.root,
      ...(source.json ? { json: source.json } : {}),
      ...(source.format === 'cityscapes' ? { imageFolder: source.imageFolder } : {}),
    },
    ...(settings.shard ? { shard: settings.shard } : {}),
    listed,
    ...(categories ? { cocoCategories: categories } : {}),
  };
}

export function optionsRecord(settings: BuildSettings, categories: CocoCategory[] | undefined): BuildOptionsRecord {
  return {
    direction: settings.direction,
    ...(settings.source.format === 'cityscapes' ? { imageFolder: settings.source.imageFolder } : {}),
    outputFormats: settings.formats,
    onFlag: settings.policy,
    tile: settings.tile,
    seed: settings.seed,
    checks: settings.checks,
    ...(categories && settings.source.format === 'coco' ? { categories: sha256(canonicalJson(categories)) } : {}),
  };
}

/** The record of a sample that could not be built. */
export function failedState(item: SourceItem, format: DatasetFormat, planned: { files: FileRecord[]; key: string } | undefined,
  model: ModelRecord, options: BuildOptionsRecord, error: DatasetError): SampleState {
  return {
    manifest: {
      sample: item.key, id: item.id, split: item.split,
      source: { format, files: planned?.files ?? [] },
      key: planned?.key ?? '', model, options, objects: {}, status: 'failed', outputs: [], flags: [], actions: [],
      problem: error.toProblem(),
    },
    timings: { decode: 0, translate: 0, check: 0, write: 0 },
  };
}

/** Hashes a sample's input files and derives its key; a problem found while listing, or an unreadable file, throws a DatasetError. */
function planSample(item: SourceItem, model: ModelRecord, options: BuildOptionsRecord): Planned {
  if (item.problem) throw item.problem;
  const files = item.files.map((f) => ({ role: f.role, path: f.path, sha256: hashSourceFile(f) }));
  return { item, files, key: sha256(canonicalJson({ files, model, options })) };
}

/** True when the sample's record says it was built from exactly these inputs and its files are intact. */
export function upToDate(output: string, planned: Planned): SampleState | undefined {
  const state = readSampleState(output, planned.item.key);
  return state && state.manifest.status !== 'failed' && state.manifest.key === planned.key && outputsIntact(output, state) ? state : undefined;
}

/**
 * Sorts samples into up to date (their record matches and their files are intact), to build, and
 * unreadable (recorded as failed without being built). Local runs, the queue coordinator and queue
 * workers all plan through this one loop.
 */
export function planItems(items: readonly SourceItem[], output: string, model: ModelRecord, options: BuildOptionsRecord, format: DatasetFormat): Pick<BuildPlan, 'kept' | 'todo' | 'unreadable'> {
  const plan: Pick<BuildPlan, 'kept' | 'todo' | 'unreadable'> = { kept: [], todo: [], unreadable: [] };
  for (const item of items) {
    let planned: Planned;
    try {
      planned = planSample(item, model, options);
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      plan.unreadable.push(failedState(item, format, undefined, model, options, error));
      continue;
    }
    const state = upToDate(output, planned);
    if (state) plan.kept.push(state);
    else plan.todo.push(planned);
  }
  return plan;
}

function planBuild(settings: BuildSettings, cityscapesCategories: readonly CocoCategory[]): BuildPlan {
  const { listed, mine } = selectItems(settings.source.items, settings.limit, settings.shard);
  const categories = cocoCategoriesFor(settings.source, settings.formats, cityscapesCategories);
  const options = optionsRecord(settings, categories);
  const plan: BuildPlan = { identity: runIdentity(settings, listed.length, categories), listed, mine, categories, options, kept: [], todo: [], unreadable: [] };
  Object.assign(plan, planItems(mine, settings.output, settings.model, options, settings.source.format));
  return plan;
}

/**
 * Plans a build and claims its output folder (local runs and the queue coordinator): --on-error fail stops at an unreadable sample, a build with
 * work to do withdraws the manifest until it is assembled again, and unreadable samples are recorded.
 */
export function planAndClaimBuild(settings: BuildSettings, onError: ErrorPolicy, cityscapesCategories: readonly CocoCategory[]): BuildPlan {
  const plan = planBuild(settings, cityscapesCategories);
  const unreadable = plan.unreadable[0]?.manifest.problem;
  if (unreadable && onError === 'fail') throw new DatasetError(unreadable.file, unreadable.reason, unreadable.pointer);
  claimOutput(settings.output, plan.identity);
  if (plan.todo.length || plan.unreadable.length || recordCount(settings.output) !== plan.kept.length) withdrawManifest(settings.output);
  for (const state of plan.unreadable) writeSampleState(settings.output, state);
  return plan;
}
