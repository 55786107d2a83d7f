// The PyTorch checkpoint reader against files torch.save wrote (fixtures/pth/make_fixtures.py):
// keys, shapes, dtypes and values as PyTorch listed them, both serialisations, and every file that
// must be refused, refused with one line that names the file.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { entryToFloat32, parseStateDict, type SafetensorsEntry } from '../src/index.ts';
import { parseTorchCheckpoint } from '../src/torch/torch-checkpoint.ts';
import { FIXTURES } from './helpers.ts';

const PTH = `${FIXTURES}pth/`;

interface PthFacts {
  readonly files: Record<string, { architecture: Record<string, unknown>; keys: Array<[string, number[], string]> }>;
}

const facts = JSON.parse(await readFile(`${PTH}facts.json`, 'utf8')) as PthFacts;

const TORCH_DTYPES: Record<string, string> = {
  'torch.float32': 'F32', 'torch.float16': 'F16', 'torch.bfloat16': 'BF16', 'torch.int64': 'I64',
};

async function stateDict(name: string): Promise<Map<string, SafetensorsEntry>> {
  return parseStateDict(await readFile(PTH + name), PTH + name);
}

function values(tensors: ReadonlyMap<string, SafetensorsEntry>, key: string): Float32Array | bigint[] {
  const e = tensors.get(key)!;
  if (e.dtype === 'I64') {
    const view = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
    return Array.from({ length: e.bytes.length / 8 }, (_, i) => view.getBigInt64(8 * i, true));
  }
  return entryToFloat32(e, key);
}

test('every generator fixture reads with the keys, shapes and dtypes PyTorch listed, in order', async () => {
  for (const [name, info] of Object.entries(facts.files)) {
    const tensors = await stateDict(name);
    assert.deepEqual(
      [...tensors.values()].map((e) => [e.name, [...e.shape], e.dtype]),
      info.keys.map(([k, shape, dtype]) => [k, shape, TORCH_DTYPES[dtype]]),
      name,
    );
  }
});

test('zip and legacy serialisations of the same weights give the same values', async () => {
  for (const base of ['resnet9', 'unet256', 'cut']) {
    const zip = await stateDict(`${base}.pth`);
    const legacy = await stateDict(`${base}_legacy.pth`);
    assert.equal(zip.size, legacy.size);
    for (const key of zip.keys()) assert.deepEqual(values(legacy, key), values(zip, key), `${base} ${key}`);
  }
});

test('the wrapped DataParallel checkpoint and the pre-0.4 one hold resnet9\'s weights', async () => {
  const plain = await stateDict('resnet9.pth');
  const wrapped = parseTorchCheckpoint(await readFile(`${PTH}resnet9_dataparallel.pth`), 'resnet9_dataparallel.pth');
  assert.equal(wrapped.wrapper, 'state_dict');
  assert.equal(wrapped.format, 'zip');
  assert.deepEqual([...wrapped.tensors.keys()], [...plain.keys()].map((k) => `module.${k}`));
  for (const key of plain.keys()) assert.deepEqual(values(wrapped.tensors, `module.${key}`), values(plain, key), key);

  const pre04 = parseTorchCheckpoint(await readFile(`${PTH}resnet9_pre04.pth`), 'resnet9_pre04.pth');
  assert.equal(pre04.format, 'legacy');
  const stats = [...pre04.tensors.keys()].filter((k) => !plain.has(k));
  assert.equal(stats.length, 3 * (3 + 2 * 9 + 2), 'running_mean, running_var, num_batches_tracked of 23 InstanceNorms');
  assert.deepEqual(values(pre04.tensors, 'model.2.num_batches_tracked'), [1000n]);
  for (const key of plain.keys()) assert.deepEqual(values(pre04.tensors, key), values(plain, key), key);
});

test('fp16 storages are read as PyTorch rounded them', async () => {
  const half = await stateDict('resnet6_fp16.pth');
  assert.ok([...half.values()].every((e) => e.dtype === 'F16'));
  const bias = values(half, 'model.1.bias') as Float32Array;
  assert.ok(bias.every((v) => Math.fround(v) === v && Number.isFinite(v)));
});

test('bfloat16 storages are read as PyTorch rounded them: the top half of each float32', async () => {
  const bf16 = await stateDict('resnet9_bf16.pth');
  const f32 = await stateDict('resnet9.pth');
  assert.ok([...bf16.values()].every((e) => e.dtype === 'BF16'));
  for (const key of f32.keys()) {
    const rounded = values(bf16, key) as Float32Array;
    const full = values(f32, key) as Float32Array;
    // Round to nearest even on the 16 bits dropped, as torch's float -> bfloat16 conversion does.
    const bits = new Uint32Array(full.buffer.slice(full.byteOffset, full.byteOffset + full.byteLength));
    const expected = new Float32Array(Uint32Array.from(bits, (b) => (((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16) >>> 0).buffer);
    assert.deepEqual(rounded, expected, key);
  }
});

async function refusal(name: string): Promise<string> {
  const file = PTH + name;
  const bytes = await readFile(file);
  const error = (() => {
    try {
      parseStateDict(bytes, file);
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  assert.ok(error !== undefined, `${name} was read`);
  assert.equal(error.message.split('\n').length, 1, `${name}: one line`);
  assert.ok(error.message.startsWith(`${file}: `), `${name}: names the file (${error.message})`);
  return error.message.slice(file.length + 2);
}

test('a pickle that calls os.system or builtins.eval is refused before anything is built', async () => {
  assert.match(await refusal('malicious_os_system.pth'), /^refusing to load: the pickle calls posix\.system \(os\.system\)/);
  assert.match(await refusal('malicious_eval_legacy.pth'), /^refusing to load: the pickle calls builtins\.eval;/);
});

test('broken files get a clear error', async () => {
  assert.match(await refusal('truncated.pth'), /^zip checkpoint: no end-of-central-directory record: the zip archive is truncated/);
  assert.match(await refusal('short_storage.pth'), /tensor model\.1\.weight \[64\] reaches element 64 of storage 0, which holds only 16: the storage is shorter than its tensor/);
  assert.match(await refusal('big_endian.pth'), /byteorder "big": only little-endian checkpoints are read/);
});

test('refusals in the pickle machinery: opcodes outside the state_dict set, globals hidden behind STACK_GLOBAL', async () => {
  const bad = (bytes: number[]): string => {
    try {
      parseStateDict(Uint8Array.from(bytes), 'x.pth');
    } catch (e) {
      return (e as Error).message;
    }
    return 'read';
  };
  const text = (s: string): number[] => [...Buffer.from(s, 'latin1')];
  // PROTO 2, INST 'os\nsystem\n' (calls without REDUCE): an opcode a state_dict never uses.
  assert.match(bad([0x80, 0x02, ...text('ios\nsystem\n'), 0x2e]), /^x\.pth: unsupported pickle opcode INST \(0x69\) at byte 2/);
  // PROTO 4, strings for STACK_GLOBAL memoised and fetched back: still named.
  const su = (s: string): number[] => [0x8c, s.length, ...text(s)];
  assert.match(
    bad([0x80, 0x04, ...su('nt'), 0x94, ...su('system'), 0x94, 0x68, 0x00, 0x68, 0x01, 0x93, 0x29, 0x52, 0x2e]),
    /^x\.pth: refusing to load: the pickle calls nt\.system \(os\.system\)/,
  );
  // STACK_GLOBAL whose operands are computed, not literal: refused.
  assert.match(bad([0x80, 0x04, 0x4e, 0x4e, 0x93, 0x2e]), /STACK_GLOBAL at byte 4 does not name its global with two strings: refusing to load/);
  // Not a weight file at all.
  assert.match(bad(text('hello world, not weights')), /^x\.pth: not a weight file: neither safetensors nor a PyTorch checkpoint/);
});
