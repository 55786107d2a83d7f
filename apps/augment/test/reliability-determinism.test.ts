// Determinism: the same inputs, seed and options give byte-identical dataset files and manifest, run
// after run, on tfjs cpu, tfjs wasm and the onnx engine on CPU (one run in this process, one in a
// fresh child process). Across engines the translated pixels differ slightly; the last test measures
// by how much (numbers in docs/reliability.md).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readRgb } from '@nightshift/labels';
import { cli, datasetFiles, tempDir, treeHashes } from './pipeline-helpers.ts';
import { manifestDifference, walkFiles } from './reliability-helpers.ts';
import { nightshiftProcess } from './process-helpers.ts';

const root = tempDir('determinism');
after(() => rmSync(root, { recursive: true, force: true }));

const input = join(root, 'scenes');
const synth = await cli(['synth', '--output', input, '--count', '4', '--width', '256', '--height', '128', '--seed', '40', '--no-faults']);
assert.equal(synth.code, 0, synth.stderr);

// The default (trained) generator, so that the cross-engine numbers are those of a real model.
const engines = [['tfjs', 'cpu'], ['tfjs', 'wasm'], ['onnx', 'cpu']] as const;
const outputs = new Map<string, string>();
const args = (engine: string, backend: string, output: string, batch = '2'): string[] => [
  'night', '--input', input, '--output', output, '--engine', engine, '--backend', backend, '--batch', batch, '--seed', '7',
];

for (const [engine, backend] of engines) {
  test(`${engine} on ${backend}: two runs (in process, then a fresh process) give byte-identical dataset files and manifest`, async () => {
    const first = join(root, `${engine}-${backend}-1`);
    const second = join(root, `${engine}-${backend}-2`);
    const r = await cli(args(engine, backend, first));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`engine: .*${engine} on ${backend}`));
    const child = nightshiftProcess(args(engine, backend, second));
    const { code } = await child.exited;
    assert.equal(code, 0, child.output());
    assert.equal(manifestDifference(join(first, 'manifest.jsonl'), join(second, 'manifest.jsonl')), undefined);
    const a = treeHashes(first, datasetFiles);
    assert.equal([...a.keys()].filter((p) => p.startsWith('cityscapes/leftImg8bit/')).length, 4);
    assert.deepEqual(treeHashes(second, datasetFiles), a);
    outputs.set(`${engine}-${backend}`, first);
  });
}

test('--batch does not change the bytes (it is not part of what a rerun compares)', async () => {
  const output = join(root, 'wasm-batch-1');
  const r = await cli(args('tfjs', 'wasm', output, '1'));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(treeHashes(output, datasetFiles), treeHashes(outputs.get('tfjs-wasm')!, datasetFiles));
});

/** Max abs difference and the fraction of pixels (any channel) that differ, over all translated images. */
async function pixelDifference(a: string, b: string): Promise<{ max: number; pixels: number; fraction: number }> {
  const images = walkFiles(join(a, 'cityscapes', 'leftImg8bit'));
  let max = 0;
  let differing = 0;
  let pixels = 0;
  for (const rel of images) {
    const x = await readRgb(join(a, 'cityscapes', 'leftImg8bit', rel));
    const y = await readRgb(join(b, 'cityscapes', 'leftImg8bit', rel));
    for (let p = 0; p < x.data.length; p += 3) {
      const d = Math.max(Math.abs(x.data[p] - y.data[p]), Math.abs(x.data[p + 1] - y.data[p + 1]), Math.abs(x.data[p + 2] - y.data[p + 2]));
      max = Math.max(max, d);
      if (d > 0) differing++;
      pixels++;
    }
  }
  return { max, pixels, fraction: differing / pixels };
}

test('across engines the translated images differ by at most one level, and the labels not at all', async (t) => {
  assert.equal(outputs.size, engines.length, 'the per-engine tests ran');
  const names = [...outputs.keys()];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const d = await pixelDifference(outputs.get(names[i])!, outputs.get(names[j])!);
      t.diagnostic(`${names[i]} vs ${names[j]}: max abs difference ${d.max}, ${(d.fraction * 100).toFixed(3)}% of ${d.pixels} pixels differ`);
      assert.ok(d.max <= 1, `${names[i]} vs ${names[j]}: max abs difference ${d.max}`);
      const labels = (dir: string): Map<string, string> => treeHashes(dir, (rel) => rel.startsWith('cityscapes/gtFine/'));
      assert.deepEqual(labels(outputs.get(names[j])!), labels(outputs.get(names[i])!), `${names[i]} vs ${names[j]}: labels`);
    }
  }
});
