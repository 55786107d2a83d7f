// Copies a finished `nightshift train` run into the committed default model: the final generators
// (G_A day→night, G_B night→day) with their config.json, plus the training log, loss curve and last
// sample grid. Discriminators and optimiser state stay behind (translation does not need them).
// Usage: node --import tsx datasets/models/publish-default.ts <run-dir> <target-dir>
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [run, target] = process.argv.slice(2);
if (!run || !target) {
  console.error('usage: publish-default.ts <run-dir> <target-dir>');
  process.exit(2);
}
const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8'));
const checkpoint = join(run, 'checkpoints', latest.checkpoint);
const config = JSON.parse(readFileSync(join(checkpoint, 'config.json'), 'utf8'));
const generators = Object.fromEntries(Object.entries(config.networks).filter(([name]) => name.startsWith('G_')));

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const entry of Object.values(generators) as { file: string }[]) copyFileSync(join(checkpoint, entry.file), join(target, entry.file));
writeFileSync(join(target, 'config.json'), `${JSON.stringify({ ...config, networks: generators }, null, 2)}\n`);
copyFileSync(join(run, 'loss-log.jsonl'), join(target, 'loss-log.jsonl'));
copyFileSync(join(run, 'loss-curve.png'), join(target, 'loss-curve.png'));
const samples = readdirSync(join(run, 'samples')).filter((f) => f.endsWith('.png')).sort();
copyFileSync(join(run, 'samples', samples[samples.length - 1]), join(target, 'final-samples.png'));
console.log(`published ${checkpoint} to ${target}`);
