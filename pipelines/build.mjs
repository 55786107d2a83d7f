#!/usr/bin/env node
// Runs pipeline specs (pipelines/*.json): validates each against pipeline.schema.json, then builds it
// with the nightshift CLI: in one process, shard by shard with a merge, or as a queued build (a
// coordinator, and worker processes here or elsewhere). Incremental and resumable because the builds
// are: rerunning a spec builds only new or changed samples.
//
//   node pipelines/build.mjs <spec.json>... [--model <path>] [--dry-run] [--validate-only]
//
// --model overrides the spec's model (e.g. in CI before a default model exists).
import { spawn } from 'node:child_process';
import { $, fs, minimist, path } from 'zx';
import Ajv from 'ajv';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CLI = path.join(REPO, 'apps', 'augment', 'bin', 'nightshift.mjs');

class SpecError extends Error {}

const argv = minimist(process.argv.slice(2), { boolean: ['dry-run', 'validate-only'], string: ['model'] });

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
const validate = ajv.compile(fs.readJsonSync(path.join(REPO, 'pipelines', 'pipeline.schema.json')));

/** Replaces ${VAR} from the environment; an unset variable is an error naming the spec and pointer. */
function expand(value, file, pointer) {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
    const v = process.env[name];
    if (v === undefined || v === '') throw new SpecError(`${file} at ${pointer}: environment variable ${name} is not set`);
    return v;
  });
}

const fromRepo = (p) => path.resolve(REPO, p);

export function loadSpec(file) {
  let spec;
  try {
    spec = fs.readJsonSync(file);
  } catch (error) {
    throw new SpecError(`${file}: cannot read as JSON (${error.message})`);
  }
  if (!validate(spec)) {
    throw new SpecError(validate.errors.map((e) => `${file} at ${e.instancePath || '/'}: ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('\n'));
  }
  return spec;
}

/** local, shard or queue: the spec's execution, or shard when it asks for more than one shard. */
export const executionOf = (spec) => spec.execution ?? (spec.shards > 1 ? 'shard' : 'local');

/** The `nightshift worker` command lines the runner starts beside a queued build's coordinator. */
export function workersFor(spec, file) {
  if (executionOf(spec) !== 'queue') return [];
  const redis = expand(spec.queue.redis, file, '/queue/redis');
  return Array.from({ length: spec.queue.workers }, (_, i) => ['worker', '--queue', redis, '--name', `${spec.name}-${i}`]);
}

/** The nightshift command lines of one spec: one build, or one per shard and a merge, or a queued build's coordinator. */
export function commandsFor(spec, file, overrides = {}) {
  const input = fromRepo(expand(spec.input.path, file, '/input/path'));
  const output = fromRepo(expand(spec.output.path, file, '/output/path'));
  const model = overrides.model ?? (spec.model ? fromRepo(expand(spec.model, file, '/model')) : undefined);
  const common = [
    spec.direction, '--input', input, '--input-format', spec.input.format,
    ...(spec.input.images ? ['--images', expand(spec.input.images, file, '/input/images')] : []),
    ...(spec.input.split ? ['--split', spec.input.split] : []),
    ...(model ? ['--model', model] : []),
    '--engine', spec.engine, '--backend', spec.backend, '--batch', String(spec.batch), '--tile', String(spec.tile),
    '--on-flag', spec.policy, '--output-format', spec.output.formats, '--seed', String(spec.seed),
    ...(spec.limit ? ['--limit', String(spec.limit)] : []),
    ...(spec.checks?.cues ? ['--checks', spec.checks.cues] : []),
    ...(spec.checks?.segmenter ? ['--segmenter', fromRepo(expand(spec.checks.segmenter, file, '/checks/segmenter'))] : []),
  ];
  const execution = executionOf(spec);
  if (execution === 'queue') return [[...common, '--output', output, '--queue', expand(spec.queue.redis, file, '/queue/redis'), '--unit-size', String(spec.queue.unitSize)]];
  if (execution === 'local') return [[...common, '--output', output]];
  const shardDirs = Array.from({ length: spec.shards }, (_, i) => `${output}.shards/${i}`);
  return [
    ...shardDirs.map((dir, i) => [...common, '--shard', `${i}/${spec.shards}`, '--output', dir]),
    ['merge', '--output', output, ...shardDirs],
  ];
}

async function main() {
  const files = argv._.map(String);
  if (files.length === 0) throw new SpecError('usage: node pipelines/build.mjs <spec.json>... [--model <path>] [--dry-run] [--validate-only]');
  const specs = files.map((f) => [f, loadSpec(f)]);
  if (argv['validate-only']) {
    for (const [f, spec] of specs) console.log(`${f}: valid (${spec.name}${spec.schedule ? `, cron "${spec.schedule.cron}"` : ''})`);
    return;
  }
  const overrides = argv.model ? { model: path.resolve(String(argv.model)) } : {};
  for (const [f, spec] of specs) {
    console.log(`pipeline ${spec.name} (${f}), ${executionOf(spec)} execution`);
    const workers = workersFor(spec, f).map((args) => {
      console.log(`$ nightshift ${args.join(' ')} &`);
      return argv['dry-run'] ? undefined : spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: 'inherit' });
    }).filter(Boolean);
    try {
      for (const args of commandsFor(spec, f, overrides)) {
        console.log(`$ nightshift ${args.join(' ')}`);
        if (!argv['dry-run']) await $({ stdio: 'inherit', cwd: REPO })`${process.execPath} ${CLI} ${args}`;
      }
    } finally {
      // SIGTERM: each worker finishes the unit in hand and disconnects.
      await Promise.all(workers.map((w) => new Promise((resolve) => {
        if (w.exitCode !== null) return resolve();
        w.once('exit', resolve);
        w.kill('SIGTERM');
      })));
    }
  }
}

try {
  await main();
} catch (error) {
  if (error instanceof SpecError) {
    console.error(error.message);
    process.exit(2);
  }
  if (typeof error?.exitCode === 'number') {
    console.error(`pipeline step failed with exit code ${error.exitCode}`);
    process.exit(error.exitCode || 1);
  }
  throw error;
}
