// Builds a list of planned samples: decode → translate in batches → check → policy + write, as
// stages joined by bounded queues. Each finished sample's record is written atomically after its
// files, so a crash at any point loses at most the samples in flight. Local runs, shards and queue
// workers all build samples through this one function.
import { DatasetError, type CocoCategory } from '@nightshift/labels';
import type { RgbImage, Translator } from '@nightshift/cyclegan';
import type { CheckOutcome, Checker, Flag, SemanticVerdict } from './checks.ts';
import type { DatasetFormat, FlagPolicy } from './options.ts';
import { failedState, type Planned } from './plan.ts';
import { BoundedQueue, runStages } from './queue.ts';
import { STAGES, type BuildOptionsRecord, type ModelRecord, type SampleState, type StageName, type StageTimings } from './record.ts';
import { checkSampleOf, decodeSample, type DecodedSample, type SourceDataset } from './sources.ts';
import { writeSampleState } from './state.ts';
import { writeSample } from './write-sample.ts';

/**
 * What a bad sample costs. A problem in one sample's own data (a DatasetError naming the file, or a
 * RangeError from its pixels or labels), found in a stage that handles that sample alone (decode,
 * check, write), fails that sample: under 'skip' it is recorded as failed and the build goes on (the
 * next run tries it again); under 'fail' it stops the build. Any other error (a bug, the engine, the
 * disk, a translation of a whole batch) stops the build whatever the policy and the stage.
 */
export type ErrorPolicy = 'skip' | 'fail';
export const ERROR_POLICIES: readonly ErrorPolicy[] = Object.freeze(['skip', 'fail']);

export interface SampleBuilder {
  source: SourceDataset;
  output: string;
  formats: DatasetFormat[];
  policy: FlagPolicy;
  /** The categories of the COCO output, when COCO is written. */
  cocoCategories?: readonly CocoCategory[];
  batch: number;
  translator: Translator;
  checker?: Checker;
  model: ModelRecord;
  options: BuildOptionsRecord;
  onError: ErrorPolicy;
}

export interface BuiltSamples {
  built: SampleState[];
  failed: SampleState[];
  /** Milliseconds each stage was busy. */
  busy: StageTimings;
}

interface InFlight extends Planned {
  sample: DecodedSample;
  translated?: RgbImage;
  flags?: Flag[];
  semantic?: SemanticVerdict;
  ms: StageTimings;
}

const now = (): number => performance.now();

/** A problem of the sample's own data as a DatasetError naming a file (see ErrorPolicy); anything else is not the sample's fault. */
function sampleProblem(p: Planned, error: unknown): DatasetError | undefined {
  if (error instanceof DatasetError) return error;
  if (error instanceof RangeError) return new DatasetError(p.item.files.find((f) => f.role === 'image')?.absolute ?? p.item.key, error.message);
  return undefined;
}

export async function buildSamples(
  ctx: SampleBuilder,
  todo: readonly Planned[],
  onDone?: (state: SampleState, busy: StageTimings) => void,
): Promise<BuiltSamples> {
  const built: SampleState[] = [];
  const failed: SampleState[] = [];
  const busy: StageTimings = { decode: 0, translate: 0, check: 0, write: 0 };
  const depth = Math.max(2, ctx.batch * 2);
  const decoded = new BoundedQueue<InFlight>(depth);
  const translated = new BoundedQueue<InFlight>(depth);
  const checked = new BoundedQueue<InFlight>(depth);

  // ErrorPolicy: a failed sample is not marked done, so the next run tries it again.
  const fail = (p: Planned, error: unknown): void => {
    const problem = sampleProblem(p, error);
    if (!problem || ctx.onError === 'fail') throw problem ?? error;
    const state = failedState(p.item, ctx.source.format, p, ctx.model, ctx.options, problem);
    writeSampleState(ctx.output, state);
    failed.push(state);
    onDone?.(state, busy);
  };

  await runStages([decoded, translated, checked] as BoundedQueue<unknown>[], [
    async () => {
      for (const p of todo) {
        const t = now();
        try {
          const sample = await decodeSample(p.item, ctx.source.categories);
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
        const batch = await decoded.takeBatch(ctx.batch);
        if (batch.length === 0) break;
        const t = now();
        const outputs = await ctx.translator.translate(batch.map((b) => b.sample.rgb));
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
        let outcome: CheckOutcome;
        try {
          outcome = ctx.checker ? await ctx.checker.check(checkSampleOf(f.sample), f.translated!) : { flags: [] };
        } catch (error) {
          fail(f, error);
          continue;
        }
        const ms = now() - t;
        busy.check += ms;
        await checked.push({ ...f, flags: outcome.flags, ...(outcome.semantic ? { semantic: outcome.semantic } : {}), ms: { ...f.ms, check: ms } });
      }
      checked.close();
    },
    async () => {
      for (let f = await checked.take(); f; f = await checked.take()) {
        const t = now();
        try {
          const written = await writeSample({ output: ctx.output, formats: ctx.formats, policy: ctx.policy, cocoCategories: ctx.cocoCategories }, f.sample, f.translated!, f.flags!, f.files);
          const ms = { ...f.ms, write: now() - t };
          busy.write += ms.write;
          const state: SampleState = {
            manifest: {
              sample: f.item.key, id: f.item.id, split: f.item.split,
              source: { format: ctx.source.format, files: f.files },
              key: f.key, model: ctx.model, options: ctx.options, objects: objectCounts(f.sample), status: written.status, outputs: written.outputs, flags: f.flags!, actions: written.actions,
              ...(f.semantic ? { semantic: f.semantic } : {}),
            },
            ...(written.coco ? { coco: written.coco } : {}),
            timings: roundTimings(ms),
          };
          writeSampleState(ctx.output, state);
          built.push(state);
          onDone?.(state, busy);
        } catch (error) {
          fail(f, error);
        }
      }
    },
  ]);
  return { built, failed, busy };
}

function roundTimings(ms: StageTimings): StageTimings {
  return Object.fromEntries(STAGES.map((s: StageName) => [s, Math.round(ms[s] * 10) / 10])) as StageTimings;
}

function objectCounts(sample: DecodedSample): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of [...sample.objects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) counts[o.name] = (counts[o.name] ?? 0) + 1;
  return counts;
}
