// What the build records per sample. The `manifest` part is the deterministic record (one line of
// manifest.jsonl); `coco` is what the COCO json is assembled from; `timings` are this build's
// measurements, kept apart so that the manifest stays byte-identical across reruns.
import type { CocoAnnotation, CocoImage, DatasetProblem } from '@nightshift/labels';
import type { Flag, FlagKind, SemanticVerdict } from './checks.ts';
import type { DatasetFormat, Direction, FlagPolicy, TileRequest } from './options.ts';

export interface FileRecord {
  role: string;
  path: string;
  sha256: string;
}

export interface OutputRecord {
  path: string;
  sha256: string;
}

/** What the policy did about one flag. */
export interface FlagAction {
  kind: FlagKind;
  instanceId?: number;
  /** kept: labels unchanged; ignored: region marked ignore; dropped: the sample was left out. */
  action: 'kept' | 'ignored' | 'dropped';
  /** Pixels marked ignore in the Cityscapes labels (ignore policy). */
  pixels?: number;
}

/** The options that decide a sample's output bytes: a rerun with other values redoes the sample. */
export interface BuildOptionsRecord {
  direction: Direction;
  imageFolder?: string;
  outputFormats: DatasetFormat[];
  onFlag: FlagPolicy;
  tile: TileRequest;
  seed: number;
  checks: string;
  /** COCO input: sha256 of the categories written to the output. */
  categories?: string;
}

export interface ModelRecord {
  /** sha256 of the generator's weights (modelHash). */
  hash: string;
  engine: string;
  backend: string;
  /** sha256 of the PyTorch checkpoint the weights came from (a .pth --model, or an import-model folder). */
  source?: string;
}

/** The model part of every manifest line; `source` only when the weights came from another file. */
export function modelRecord(hash: string, engine: { name: string; backend: string }, source?: { sha256: string }): ModelRecord {
  return { hash, engine: engine.name, backend: engine.backend, ...(source ? { source: source.sha256 } : {}) };
}

export interface ManifestRecord {
  sample: string;
  id: string;
  split: string;
  source: { format: DatasetFormat; files: FileRecord[] };
  /** sha256 over source hashes, model and options. */
  key: string;
  model: ModelRecord;
  options: BuildOptionsRecord;
  /** Labelled objects per class name. */
  objects: Record<string, number>;
  /** failed: the sample could not be built (`problem` says why); it is tried again on the next run. */
  status: 'written' | 'dropped' | 'failed';
  outputs: OutputRecord[];
  flags: Flag[];
  actions: FlagAction[];
  /** The semantic cue's verdict (checks with the semantic cue only): where it abstained. */
  semantic?: SemanticVerdict;
  problem?: DatasetProblem;
}

/** One image of the COCO output, before image and annotation ids are assigned. */
export interface CocoPart {
  split: string;
  image: Omit<CocoImage, 'id'>;
  annotations: Omit<CocoAnnotation, 'id' | 'image_id'>[];
}

export const STAGES = ['decode', 'translate', 'check', 'write'] as const;
export type StageName = (typeof STAGES)[number];
export type StageTimings = Record<StageName, number>;

export interface SampleState {
  manifest: ManifestRecord;
  coco?: CocoPart;
  /** Milliseconds per stage when the sample was built. */
  timings: StageTimings;
}
