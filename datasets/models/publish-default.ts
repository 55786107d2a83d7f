// Copies a finished `nightshift train` run into the committed default model: the generators (G_A
// day→night, G_B night→day) of the checkpoints named in <run>/chosen.json (choose-checkpoints.ts; the
// last checkpoint where there is none) with their config.json entries, plus the training log, loss
// curve and the sample grid of G_A's checkpoint. Discriminators and optimiser state stay behind.
// Usage: node --import tsx datasets/models/publish-default.ts <run-dir> <target-dir>
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [run, target] = process.argv.slice(2);
if (!run || !target) {
  console.error('usage: publish-default.ts <run-dir> <target-dir>');
  process.exit(2);
}
const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')) as { checkpoint: string };
const chosenFile = join(run, 'chosen.json');
const chosen = (existsSync(chosenFile) ? JSON.parse(readFileSync(chosenFile, 'utf8')) : {}) as Partial<Record<'G_A' | 'G_B', string>>;
const checkpointOf = (which: 'G_A' | 'G_B') => join(run, 'checkpoints', chosen[which] ?? latest.checkpoint);
const readConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
// The config of G_A's checkpoint, with each generator's own entry (file and sha256) from its checkpoint.
const config = readConfig(checkpointOf('G_A'));
const networks = Object.fromEntries((['G_A', 'G_B'] as const).map((which) => [which, readConfig(checkpointOf(which)).networks[which]]));

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const which of ['G_A', 'G_B'] as const) copyFileSync(join(checkpointOf(which), networks[which].file), join(target, networks[which].file));
writeFileSync(join(target, 'config.json'), `${JSON.stringify({ ...config, networks }, null, 2)}\n`);
copyFileSync(join(run, 'loss-log.jsonl'), join(target, 'loss-log.jsonl'));
copyFileSync(join(run, 'loss-curve.png'), join(target, 'loss-curve.png'));
const samples = readdirSync(join(run, 'samples')).filter((f) => f.endsWith('.png')).sort();
const sampleOfA = `${(chosen.G_A ?? latest.checkpoint)}.png`;
copyFileSync(join(run, 'samples', samples.includes(sampleOfA) ? sampleOfA : samples[samples.length - 1]), join(target, 'final-samples.png'));
console.log(`published G_A of ${checkpointOf('G_A')} and G_B of ${checkpointOf('G_B')} to ${target}`);
