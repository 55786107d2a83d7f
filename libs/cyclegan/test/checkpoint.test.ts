import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  createCycleGanNetworks,
  encodeSafetensors,
  entryToFloat32,
  loadCheckpoint,
  loadDiscriminator,
  loadGenerator,
  readSafetensors,
  saveCheckpoint,
  type CycleGanNetworks,
} from '../src/index.ts';
import { FIXTURES, torchFacts } from './helpers.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cyclegan-checkpoint-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const torchArch = { inputNc: 3, outputNc: 3, ngf: 8, nBlocks: 2, ndf: 8, nLayers: 3 } as const;

function dispose(nets: Partial<CycleGanNetworks>): void {
  for (const name of ['G_A', 'G_B', 'D_A', 'D_B'] as const) nets[name]?.dispose();
}

test('save -> load is the identity, and the files hold exactly the PyTorch state_dict keys and shapes', async () => {
  const dir = join(work, 'roundtrip');
  const nets = createCycleGanNetworks(torchArch, { seed: 11 });
  const config = await saveCheckpoint(dir, nets, { architecture: torchArch, options: { epoch: 3, lambdaA: 10 } });
  const loaded = await loadCheckpoint(dir);
  try {
    assert.deepEqual((await readdir(dir)).sort(), ['D_A.safetensors', 'D_B.safetensors', 'G_A.safetensors', 'G_B.safetensors', 'config.json']);
    assert.deepEqual(loaded.config, JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(config.options, { epoch: 3, lambdaA: 10 });
    assert.equal(config.networks.G_A!.parameters, 50_947);
    for (const name of ['G_A', 'G_B', 'D_A', 'D_B'] as const) {
      assert.deepEqual(await loaded[name]!.stateDict(), await nets[name].stateDict(), name);
    }
    const facts = await torchFacts();
    for (const [file, keys] of [['G_A', facts.generator.keys], ['D_B', facts.discriminator.keys]] as const) {
      const st = await readSafetensors(join(dir, `${file}.safetensors`));
      assert.deepEqual([...st.tensors.values()].map((e) => [e.name, [...e.shape]]), keys);
      assert.ok([...st.tensors.values()].every((e) => e.dtype === 'F32'));
      assert.deepEqual(st.metadata, { format: 'pt' });
    }
    // one generator by folder + which, and by file path (architecture from config.json)
    const gb = await loadGenerator(dir, { which: 'G_B' });
    const gbFile = await loadGenerator(join(dir, 'G_B.safetensors'));
    assert.deepEqual(await gb.stateDict(), await nets.G_B.stateDict());
    assert.deepEqual(await gbFile.stateDict(), await nets.G_B.stateDict());
    dispose({ G_A: gb, G_B: gbFile });
  } finally {
    dispose(nets);
    dispose(loaded);
  }
});

test('saveCheckpoint refuses networks that do not fit the architecture', async () => {
  const nets = createCycleGanNetworks({ ...torchArch, ngf: 4 });
  try {
    await assert.rejects(saveCheckpoint(join(work, 'bad'), { G_A: nets.G_A }, { architecture: torchArch }), /G_A has architecture \(inputNc 3, outputNc 3, ngf 4, nBlocks 2\) but the checkpoint architecture implies \(inputNc 3, outputNc 3, ngf 8/);
    await assert.rejects(saveCheckpoint(join(work, 'bad'), {}, { architecture: torchArch }), /at least one of G_A, G_B, D_A, D_B/);
  } finally {
    dispose(nets);
  }
});

/** A folder with a saved checkpoint whose files a test may then damage. */
async function savedCopy(name: string): Promise<string> {
  const dir = join(work, name);
  const nets = createCycleGanNetworks(torchArch, { seed: 1 });
  try {
    await saveCheckpoint(dir, { G_A: nets.G_A, D_A: nets.D_A }, { architecture: torchArch });
  } finally {
    dispose(nets);
  }
  return dir;
}

test('a config.json that does not match the weights, or changed weights, is reported', async () => {
  const dir = await savedCopy('mismatch');
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8'));
  await writeFile(configPath, JSON.stringify({ ...config, architecture: { ...config.architecture, ngf: 16 } }));
  await assert.rejects(loadGenerator(dir), (e: Error) =>
    e.message.includes('G_A.safetensors: tensor model.1.weight has shape [8, 3, 7, 7] but') &&
    e.message.includes('config.json (G_A: inputNc 3, outputNc 3, ngf 16, nBlocks 2) expects [16, 3, 7, 7]'));
  await writeFile(configPath, JSON.stringify({ ...config, architecture: { ...config.architecture, nBlocks: -1 } }));
  await assert.rejects(loadGenerator(dir), /config.json at \/architecture\/nBlocks: Expected an integer between 0 and 64/);
  await writeFile(configPath, JSON.stringify({ ...config, networks: { ...config.networks, G_A: { ...config.networks.G_A, sha256: 'x' } } }));
  await assert.rejects(loadGenerator(dir), /config.json at \/networks\/G_A\/sha256: expected 64 lowercase hex digits/);
  await writeFile(configPath, '{"format": "nightshift-cyclegan-checkpoint",');
  await assert.rejects(loadGenerator(dir), /config.json: not valid JSON/);
  await writeFile(configPath, JSON.stringify(config));
  await assert.rejects(loadGenerator(dir, { which: 'G_B' }), /config.json at \/networks: checkpoint has no G_B \(it has G_A, D_A\)/);
  await assert.rejects(loadGenerator(join(dir, 'D_A.safetensors')), /D_A.safetensors: is D_A, a discriminator; expected a generator/);
  await assert.rejects(loadGenerator(dir, { architecture: { nBlocks: 9 } }), /requested architecture \(inputNc 3, outputNc 3, ngf 8, nBlocks 9\) does not match .*config.json \(G_A: inputNc 3, outputNc 3, ngf 8, nBlocks 2\)/);
  const weights = await readFile(join(dir, 'G_A.safetensors'));
  weights[weights.length - 1] ^= 1;
  await writeFile(join(dir, 'G_A.safetensors'), weights);
  await assert.rejects(loadGenerator(dir), /G_A.safetensors: sha256 [0-9a-f]{64} differs from [0-9a-f]{64} recorded in .*config.json: the file changed/);
});

/** The torch fixture's generator state_dict, edited, as a bare safetensors file. */
async function editedTorchG(name: string, edit: (tensors: Map<string, { shape: number[]; data: Float32Array }>) => void): Promise<string> {
  const st = await readSafetensors(`${FIXTURES}torch_G.safetensors`);
  const tensors = new Map([...st.tensors].map(([k, e]) => [k, { shape: [...e.shape], data: entryToFloat32(e, st.file) }]));
  edit(tensors);
  const path = join(work, `${name}.safetensors`);
  await writeFile(path, encodeSafetensors([...tensors].map(([k, t]) => ({ name: k, ...t }))));
  return path;
}

test('bare state_dicts: architecture inferred; missing, misshapen and unexpected tensors named', async () => {
  const g = await loadGenerator(`${FIXTURES}torch_G.safetensors`, { architecture: { nBlocks: 2 } });
  assert.deepEqual({ ...g.architecture }, { inputNc: 3, outputNc: 3, ngf: 8, nBlocks: 2 });
  g.dispose();
  await assert.rejects(loadGenerator(`${FIXTURES}torch_G.safetensors`, { architecture: { ngf: 64 } }), /requested architecture \(inputNc 3, outputNc 3, ngf 64, nBlocks 2\) does not match the architecture inferred from the file/);
  const missing = await editedTorchG('missing', (t) => t.delete('model.11.conv_block.5.bias'));
  await assert.rejects(loadGenerator(missing), /missing.safetensors: missing tensor model.11.conv_block.5.bias \[32\] required by the architecture inferred from the file \(inputNc 3, outputNc 3, ngf 8, nBlocks 2\)/);
  const misshapen = await editedTorchG('misshapen', (t) => t.set('model.12.weight', { shape: [16, 32, 3, 3], data: new Float32Array(16 * 32 * 9) }));
  await assert.rejects(loadGenerator(misshapen), /misshapen.safetensors: tensor model.12.weight has shape \[16, 32, 3, 3\] but the architecture inferred from the file .* expects \[32, 16, 3, 3\]/);
  const extra = await editedTorchG('extra', (t) => t.set('model.2.weight', { shape: [8], data: new Float32Array(8) }));
  await assert.rejects(loadGenerator(extra), /extra.safetensors: unexpected tensor model.2.weight \[8\]: the architecture inferred from the file .* has no such parameter/);
  await assert.rejects(loadGenerator(`${FIXTURES}torch_D.safetensors`), /torch_D.safetensors: not a ResnetGenerator state_dict: no tensor model.1.weight \(found model.0.weight, model.0.bias/);
  await assert.rejects(loadDiscriminator(`${FIXTURES}torch_G.safetensors`), /torch_G.safetensors: not a NLayerDiscriminator state_dict|not an NLayerDiscriminator state_dict: no tensor model.0.weight/);
  await assert.rejects(loadGenerator(join(work, 'nothing-here')), /nothing-here: cannot open checkpoint/);
});

test('a folder without config.json loads by inference; a foreign file in a checkpoint folder too', async () => {
  const copy = await savedCopy('bare-source');
  await rm(join(copy, 'config.json'));
  const g = await loadGenerator(copy);
  assert.deepEqual({ ...g.architecture }, { inputNc: 3, outputNc: 3, ngf: 8, nBlocks: 2 });
  g.dispose();
  const ckpt = await savedCopy('with-foreign');
  await copyFile(`${FIXTURES}torch_G_legacy_f16.safetensors`, join(ckpt, 'latest_net_G.safetensors'));
  const foreign = await loadGenerator(join(ckpt, 'latest_net_G.safetensors'));
  assert.equal(foreign.architecture.ngf, 8);
  foreign.dispose();
  assert.deepEqual((await readdir(ckpt)).filter((f) => f.includes('.tmp-')), []); // atomic writes leave no temporaries
});
