// Loading a full-size PyTorch generator checkpoint: the reference ResNet-9 (ngf 64, 45 MB), written
// by torch.save in both serialisations into a temporary folder (bench/torch_pth_load.py), read here
// without running pickle code, against torch.load of the same files in the same job. Medians of
// --runs after one warm-up; one thread on each side. "load to network" is loadTranslationGenerator
// (read, identify, tfjs variables on the cpu backend); import-model writes the folder as well.
// Usage: node --import tsx bench/pth-load.ts [--runs 7]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env as tfjsEnv } from '@tensorflow/tfjs-core';
import { importGenerator, loadTranslationGenerator, readStateDict, selectBackend } from '@nightshift/cyclegan';
import { medianMs } from './lib/median-ms.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const RUNS = Number(values.runs);
const SCRIPT = fileURLToPath(new URL('./torch_pth_load.py', import.meta.url));

interface TorchTiming { file: string; bytes: number; torch: string; load_ms: number; load_into_net_ms: number }

const median = (run: () => Promise<void>): Promise<number> => medianMs(RUNS, run);

tfjsEnv().set('PROD', true);
await selectBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'nightshift-pth-load-'));
try {
  const torch = execFileSync('/usr/bin/python3', [SCRIPT, dir, String(RUNS)], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l) as TorchTiming);
  console.log(`ResNet-9 ngf 64 generator checkpoints, median of ${RUNS} runs (torch ${torch[0].torch}, one thread; load average ${loadavg()[0].toFixed(1)})`);
  console.log('file                       MB    read state_dict   load to network   import-model   torch.load   torch.load+load_state_dict   read / torch.load');
  for (const t of torch) {
    const path = join(dir, t.file);
    const read = await median(async () => { await readStateDict(path); });
    const load = await median(async () => { (await loadTranslationGenerator(path)).dispose(); });
    const imported = await median(async () => {
      const out = join(dir, 'imported');
      await importGenerator(path, out);
      rmSync(out, { recursive: true });
    });
    console.log(
      `${t.file.padEnd(26)} ${(t.bytes / 1e6).toFixed(1).padStart(4)}   ${read.toFixed(0).padStart(12)} ms   ${load.toFixed(0).padStart(12)} ms` +
      `   ${imported.toFixed(0).padStart(9)} ms   ${t.load_ms.toFixed(0).padStart(7)} ms   ${t.load_into_net_ms.toFixed(0).padStart(23)} ms   ${(read / t.load_ms).toFixed(2).padStart(17)}x`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
