#!/usr/bin/env node
// Type-checks the workspace, then runs every *.test.ts under the given folders (default: all) with node:test.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['libs', 'apps', 'datasets', 'pipelines', 'tests'];
const skip = new Set(['node_modules', 'dist', '.nx', 'fixtures']);

function findTests(dir) {
  if (dir.endsWith('.test.ts')) return [dir];
  let entries;
  try { entries = readdirSync(dir); } catch { return []; }
  return entries.flatMap((name) => {
    if (skip.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!process.env.NIGHTSHIFT_SKIP_TYPECHECK) run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
const files = roots.flatMap(findTests).sort();
if (files.length === 0) { console.error('no test files found under', roots.join(', ')); process.exit(1); }
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files]);
