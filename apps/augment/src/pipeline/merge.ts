// `nightshift merge`: shard builds (--shard i/n, each in its own folder) assembled into one build whose
// dataset files and manifest are byte-identical to an unsharded build of the same list.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { copyFileAtomic } from '@nightshift/labels';
import { BuildRequestError } from './errors.ts';
import { sha256File } from './hash.ts';
import { STAGES, type SampleState, type StageTimings } from './record.ts';
import { assembleBuild, withdrawManifest } from './assemble.ts';
import { claimOutput, outputsIntact, readAllStates, readRunIdentity, writeSampleState, type RunIdentity } from './state.ts';
import { failuresOf, flagStats, readSummary, sampleCounts, stageStats, writeSummary, type BuildSummary } from './summary.ts';
import { writeReport } from './report.ts';

export interface MergeResult {
  summary: BuildSummary;
  copied: number;
}

export async function mergeShards(output: string, shardDirs: readonly string[]): Promise<MergeResult> {
  if (shardDirs.length === 0) throw new BuildRequestError('merge needs the shard folders to assemble');
  const dirs = shardDirs.map((d) => resolve(d));
  const identities = dirs.map((d) => {
    const id = readRunIdentity(d);
    if (!id) throw new BuildRequestError(`${d} is not a nightshift build (no .nightshift/run.json)`);
    if (!id.shard) throw new BuildRequestError(`${d} is an unsharded build; merge takes the folders of --shard i/n builds`);
    return id;
  });
  const first = identities[0];
  const n = first.shard!.count;
  const common = (id: RunIdentity): string => JSON.stringify({ d: id.direction, i: id.input, l: id.listed, c: id.cocoCategories ?? null });
  identities.forEach((id, k) => {
    if (common(id) !== common(first)) throw new BuildRequestError(`${dirs[k]} is a build of another input, direction or list than ${dirs[0]}`);
    if (id.shard!.count !== n) throw new BuildRequestError(`${dirs[k]} is shard ${id.shard!.index}/${id.shard!.count}, but ${dirs[0]} is one of ${n}`);
  });
  const indices = identities.map((id) => id.shard!.index).sort((a, b) => a - b);
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !indices.includes(i));
  if (missing.length || indices.length !== n) {
    throw new BuildRequestError(`merge needs each of the ${n} shards exactly once; got ${identities.map((id) => `${id.shard!.index}/${n}`).join(', ')}${missing.length ? ` (missing ${missing.map((i) => `${i}/${n}`).join(', ')})` : ''}`);
  }

  const { shard: _shard, ...unsharded } = first;
  claimOutput(output, unsharded);
  withdrawManifest(output);
  const summaries = dirs.map((d) => readSummary(d));
  const states: SampleState[] = [];
  let copied = 0;
  let reference: { dir: string; state: SampleState } | undefined;
  for (let k = 0; k < dirs.length; k++) {
    for (const state of readAllStates(dirs[k])) {
      reference ??= { dir: dirs[k], state };
      const mismatch = mixedBuild(reference, dirs[k], state);
      if (mismatch) throw new BuildRequestError(mismatch);
      if (!outputsIntact(dirs[k], state)) throw new BuildRequestError(`${dirs[k]}: the outputs of ${state.manifest.sample} are missing or changed; rerun that shard first`);
      for (const o of state.manifest.outputs) {
        const target = join(output, ...o.path.split('/'));
        if (existsSync(target) && sha256File(target) === o.sha256) continue;
        mkdirSync(dirname(target), { recursive: true });
        copyFileAtomic(join(dirs[k], ...o.path.split('/')), target);
        copied++;
      }
      writeSampleState(output, state);
      states.push(state);
    }
  }
  const keys = new Set(states.map((s) => s.manifest.sample));
  if (keys.size !== states.length) throw new BuildRequestError('the shards overlap: a sample appears in more than one of them');
  const finalStates = assembleBuild(output, keys, first.cocoCategories);

  // The shards' work, under the rules of a local run: the samples built (failed ones took no stage
  // time) and the busy time their records hold; the checks ran when any shard's did.
  const built = finalStates.filter((s) => s.manifest.status !== 'failed');
  const busy = Object.fromEntries(STAGES.map((st) => [st, built.reduce((t, s) => t + s.timings[st], 0)])) as StageTimings;
  const checked = summaries.some((s) => s.stages.check.items > 0);
  const base = summaries[0];
  const summary: BuildSummary = {
    ...base,
    output,
    shard: null,
    mergedFrom: dirs,
    samples: {
      ...sampleCounts(finalStates), listed: first.listed, inBuild: finalStates.length, upToDate: 0, built: 0,
    },
    engine: { ...base.engine, why: `merged from ${dirs.length} shards; shard 0: ${base.engine.why}` },
    flags: flagStats(finalStates),
    stages: stageStats(built.length, busy, checked),
    wallSeconds: Math.max(...summaries.map((s) => s.wallSeconds)),
    failures: failuresOf(finalStates),
  };
  writeSummary(output, summary);
  await writeReport(output);
  return { summary, copied };
}

/**
 * Why two shards' samples cannot be one dataset, and how to fix it; undefined when they can. Engines
 * differ in the last bit of some pixels (docs/reliability.md), so a sample's key holds its engine.
 */
function mixedBuild(ref: { dir: string; state: SampleState }, dir: string, state: SampleState): string | undefined {
  const [a, b] = [ref.state.manifest, state.manifest];
  if (JSON.stringify({ model: a.model, options: a.options }) === JSON.stringify({ model: b.model, options: b.options })) return undefined;
  if (a.model.hash === b.model.hash && JSON.stringify(a.options) === JSON.stringify(b.options)) {
    return `${dir}: sample ${b.sample} was translated by ${b.model.engine} on ${b.model.backend}, but ${ref.dir} by ${a.model.engine} on ${a.model.backend}; ` +
      `the shards of one build must run one engine (their images may differ by one level). Rebuild ${dir} with --engine ${a.model.engine} --backend ${a.model.backend} ` +
      '(or every shard with the same --engine and --backend; --engine auto with --shard takes the same engine in every shard), then merge again';
  }
  return `${dir}: sample ${b.sample} was built with another model or options than the samples of ${ref.dir}; rebuild the shards with the same --model and options, then merge again`;
}
