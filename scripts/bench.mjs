#!/usr/bin/env node
// Runs benchmarks: `npm run bench` runs every bench/*.ts, `npm run bench -- translate` only
// bench/translate.ts, and `npm run bench -- queue-scaling --count 200` passes everything from the
// first option on to the (last) named benchmark.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const wanted = firstOption === -1 ? args : args.slice(0, firstOption);
const options = firstOption === -1 ? [] : args.slice(firstOption);
const all = readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
if (options.length && wanted.length !== 1) {
  console.error(`options (${options.join(' ')}) go to one benchmark: name it, e.g. npm run bench -- queue-scaling --count 200`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : all) {
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...options], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
