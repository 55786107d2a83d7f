// importGenerator (nightshift import-model) against PyTorch: the folder it writes loads into the
// reference network with load_state_dict(strict=True) and gives PyTorch's output on the fixture input
// (make_fixtures.py verify-import), and it loads here too. --arch overrides the inference, and a
// mismatch names the missing and unexpected tensors with their shapes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  exportGeneratorOnnx, importGenerator, loadTranslationGenerator, parseSafetensors, ResnetGenerator, selectBackend, UnetGenerator,
} from '../src/index.ts';
import { FIXTURES } from './helpers.ts';

await selectBackend('cpu');
const PTH = `${FIXTURES}pth/`;
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'import-model-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * Runs make_fixtures.py verify-import on (folder, expected output) pairs, in one Python process:
 * strict load into the reference network, largest difference from PyTorch's output, per pair.
 */
function verifyInTorch(pairs: ReadonlyArray<[folder: string, expected: string]>): number[] {
  const r = spawnSync(PYTHON, [`${PTH}make_fixtures.py`, 'verify-import', ...pairs.flat()], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((line) => {
    const result = JSON.parse(line) as { strict: boolean; maxAbsDiff: number };
    assert.equal(result.strict, true);
    return result.maxAbsDiff;
  });
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const CASES: Array<[source: string, expected: string, netG: string, notes: object]> = [
  ['resnet9.pth', 'resnet9', 'resnet_9blocks', { format: 'torch-zip', modulePrefix: false, dropped: 0 }],
  ['resnet9_dataparallel.pth', 'resnet9', 'resnet_9blocks', { format: 'torch-zip', modulePrefix: true, dropped: 0, wrapper: 'state_dict' }],
  ['resnet9_pre04.pth', 'resnet9', 'resnet_9blocks', { format: 'torch-legacy', modulePrefix: false, dropped: 69 }],
  ['resnet6_fp16.pth', 'resnet6_fp16', 'resnet_6blocks', { format: 'torch-zip', modulePrefix: false, dropped: 0 }],
  ['resnet9_bf16.pth', 'resnet9_bf16', 'resnet_9blocks', { format: 'torch-zip', modulePrefix: false, dropped: 0 }],
  ['unet256_legacy.pth', 'unet256_grid', 'unet_256', { format: 'torch-legacy', modulePrefix: false, dropped: 0 }],
  ['cut.pth', 'cut', 'resnet_9blocks', { format: 'torch-zip', modulePrefix: false, dropped: 0 }],
  ['cut_legacy.pth', 'cut', 'resnet_9blocks', { format: 'torch-legacy', modulePrefix: false, dropped: 0 }],
  ['unet128.pth', 'unet128_grid', 'unet_128', { format: 'torch-zip', modulePrefix: false, dropped: 0 }],
  ['unet128_instance.pth', 'unet128_instance_grid', 'unet_128', { format: 'torch-zip', modulePrefix: false, dropped: 0 }],
];

test('import-model writes G.safetensors that PyTorch loads with strict=True and runs to its own output', { skip: !hasTorch && 'needs /usr/bin/python3 with torch' }, async () => {
  const folders: Array<[string, string]> = [];
  for (const [source, expected, netG, notes] of CASES) {
    const out = join(work, source.replace('.pth', ''));
    folders.push([out, expected]);
    const { config } = await importGenerator(PTH + source, out);
    assert.deepEqual((await readdir(out)).sort(), ['G.safetensors', 'config.json'], source);
    const weights = await readFile(join(out, 'G.safetensors'));
    assert.equal(config.netG, netG, source);
    assert.equal(config.networks.G.sha256, sha256(weights));
    assert.equal(config.source.sha256, sha256(await readFile(PTH + source)));
    assert.deepEqual(
      { format: config.source.format, modulePrefix: config.source.modulePrefix, dropped: config.source.dropped.length, ...(config.source.wrapper ? { wrapper: config.source.wrapper } : {}) },
      notes, source,
    );
    assert.deepEqual(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')), config);
    assert.ok([...parseSafetensors(weights, source).tensors.values()].every((e) => e.dtype === 'F32'));
  }
  verifyInTorch(folders).forEach((diff, i) => {
    console.log(`${CASES[i][0]} -> import-model -> PyTorch strict load: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-4, `${CASES[i][0]}: ${diff}`);
  });
});

test('an imported folder loads as --model: the generator its config.json names, with the same weights', async () => {
  const out = join(work, 'load-resnet');
  await importGenerator(`${PTH}resnet9_dataparallel.pth`, out);
  const fromFolder = await loadTranslationGenerator(out);
  const fromPth = await loadTranslationGenerator(`${PTH}resnet9.pth`);
  try {
    assert.ok(fromFolder instanceof ResnetGenerator);
    assert.deepEqual(await fromFolder.stateDict(), await fromPth.stateDict());
  } finally {
    fromFolder.dispose();
    fromPth.dispose();
  }
  const unetOut = join(work, 'load-unet');
  await importGenerator(`${PTH}unet128.pth`, unetOut);
  const unet = await loadTranslationGenerator(unetOut);
  assert.ok(unet instanceof UnetGenerator);
  assert.equal(unet.architecture.numDowns, 7);
  unet.dispose();
  // A changed weight file is refused.
  const file = join(out, 'G.safetensors');
  const bytes = await readFile(file);
  bytes[bytes.length - 1] ^= 1;
  await writeFile(file, bytes);
  await assert.rejects(loadTranslationGenerator(out), /G\.safetensors: sha256 differs from the one recorded in .*config\.json: the file changed after the import/);
});

test('an ONNX generator whose initialisers carry the reference names imports as its state_dict', { skip: !hasTorch && 'needs /usr/bin/python3 with torch' }, async () => {
  const g = await loadTranslationGenerator(`${PTH}resnet9.pth`);
  const onnx = join(work, 'resnet9.onnx');
  await writeFile(onnx, await exportGeneratorOnnx(g as ResnetGenerator));
  g.dispose();
  const out = join(work, 'from-onnx');
  const { config } = await importGenerator(onnx, out);
  assert.equal(config.source.format, 'onnx');
  assert.ok(verifyInTorch([[out, 'resnet9']])[0] <= 1e-4);
});

test('--arch overrides the inference; a mismatch names the missing and unexpected tensors and their shapes', async () => {
  const { config } = await importGenerator(`${PTH}resnet9.pth`, join(work, 'arch-ok'), { arch: 'resnet_9blocks' });
  assert.equal(config.netG, 'resnet_9blocks');
  const refusal = async (file: string, arch: 'resnet_6blocks' | 'resnet_9blocks' | 'unet_128' | 'unet_256'): Promise<string> => {
    const out = join(work, `refused-${arch}`);
    let message = '';
    await assert.rejects(importGenerator(PTH + file, out, { arch }), (e: Error) => {
      message = e.message;
      return true;
    });
    assert.equal(message.split('\n').length, 1);
    assert.ok(message.startsWith(`${PTH}${file}: `), message);
    await assert.rejects(readdir(out), /ENOENT/, 'nothing written');
    return message;
  };
  const six = await refusal('resnet9.pth', 'resnet_6blocks');
  assert.match(six, /missing tensors model\.16\.weight \[8, 4, 3, 3\], model\.16\.bias \[4\], .* required by ResnetGenerator resnet_6blocks \(inputNc 3, outputNc 3, ngf 2, nBlocks 6\), requested with --arch resnet_6blocks/);
  assert.match(six, /; unexpected tensors model\.16\.conv_block\.1\.weight \[8, 8, 3, 3\], .*: ResnetGenerator resnet_6blocks .* has no such parameter$/);
  const unet = await refusal('unet256.pth', 'unet_128');
  assert.match(unet, /missing tensors? .*required by UnetGenerator unet_128/);
  assert.match(unet, /; unexpected tensors model\.model\.1\.model\.3\.model\.3\.model\.3\.model\.3\.model\.3\.model\.2\.weight \[8\], .*\(18 in all\): UnetGenerator unet_128 .* has no such parameter$/);
  const family = await refusal('unet256.pth', 'resnet_9blocks');
  assert.match(family, /missing tensors model\.1\.weight \[64, 3, 7, 7\]/);
});

test('import-model refuses a classifier and a used --out, and writes nothing', async () => {
  const out = join(work, 'classifier');
  await assert.rejects(importGenerator(`${PTH}classifier.pth`, out), /classifier\.pth: not a generator this reader knows: .*found conv1\.weight, conv1\.bias/);
  await assert.rejects(readdir(out), /ENOENT/);
  const used = join(work, 'used');
  await mkdir(used);
  await writeFile(join(used, 'notes.txt'), 'mine');
  await assert.rejects(importGenerator(`${PTH}resnet9.pth`, used), /used: exists and is not empty/);
  assert.deepEqual(await readdir(used), ['notes.txt']);
  const empty = join(work, 'empty');
  await mkdir(empty);
  await importGenerator(`${PTH}resnet9.pth`, empty);
  assert.deepEqual((await readdir(empty)).sort(), ['G.safetensors', 'config.json']);
  assert.deepEqual((await readdir(work)).filter((n) => n.includes('.import-')), [], 'no temporary folder left');
});
