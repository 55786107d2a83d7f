import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DatasetError } from '@nightshift/labels';
import { encodeSafetensors, entryToFloat32, parseSafetensors, readSafetensors } from '../src/index.ts';
import { FIXTURES } from './helpers.ts';

test('F64, F16 and F32 tensors written by numpy read back as float32', async () => {
  const file = await readSafetensors(`${FIXTURES}dtypes.safetensors`);
  assert.equal(file.metadata.note, 'one value set in three dtypes');
  const get = (name: string) => entryToFloat32(file.tensors.get(name)!, file.file);
  assert.deepEqual([...file.tensors.keys()], ['f64', 'f32', 'f16', 'f16_as_f32']);
  assert.deepEqual(file.tensors.get('f16')!.shape, [2, 5]);
  assert.equal(file.tensors.get('f16')!.dtype, 'F16');
  assert.deepEqual(get('f64'), get('f32')); // numpy's float64 -> float32 rounding equals ours
  assert.deepEqual(get('f16'), get('f16_as_f32')); // incl. 65504, subnormals and -0
  assert.ok(Object.is(get('f16')[7], -0));
});

test('encode then parse is the identity, header padded to 8 bytes, metadata kept', () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => (i - 12) / 7);
  const bytes = encodeSafetensors(
    [{ name: 'a.weight', shape: [2, 3, 4], data }, { name: 'empty', shape: [0], data: new Float32Array(0) }, { name: 'b', shape: [1], data: Float32Array.of(Math.PI) }],
    { format: 'pt' },
  );
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0);
  const file = parseSafetensors(bytes, 'mem.safetensors');
  assert.deepEqual(file.metadata, { format: 'pt' });
  assert.deepEqual(entryToFloat32(file.tensors.get('a.weight')!, 'x'), data);
  assert.deepEqual(file.tensors.get('a.weight')!.shape, [2, 3, 4]);
  assert.equal(file.tensors.get('empty')!.bytes.length, 0);
  assert.equal(entryToFloat32(file.tensors.get('b')!, 'x')[0], Math.fround(Math.PI));
  assert.throws(() => encodeSafetensors([{ name: 'x', shape: [2], data: new Float32Array(3) }]), /shape \[2\] does not match its 3 values/);
});

function withHeader(header: object, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('damaged files are rejected with errors naming the file and the problem', async () => {
  const good = await readFile(`${FIXTURES}torch_D.safetensors`);
  const f = 'model.safetensors';
  const rejects = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => parseSafetensors(bytes, f), (e: unknown) => e instanceof DatasetError && e.file === f && pattern.test(e.message) && e.message.startsWith(f));
  rejects(good.subarray(0, 5), /truncated safetensors file: 5 bytes/);
  rejects(good.subarray(0, 100), /header length \d+ exceeds the 92 bytes after the length field/);
  rejects(good.subarray(0, good.length - 4), /tensor data ends at byte \d+ but the file holds only \d+ data bytes: truncated file/);
  const garbage = new Uint8Array(16);
  new DataView(garbage.buffer).setBigUint64(0, 4n, true);
  garbage.set([0x7b, 0x22, 0x61, 0x20], 8);
  rejects(garbage, /header is not valid UTF-8 JSON/);
  rejects(withHeader([1, 2], 0), /header must be a JSON object/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 12), /at \/w\/data_offsets: data_offsets \[0, 12\] hold 12 bytes but F32 \[2, 2\] needs 16/);
  rejects(withHeader({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /at \/w\/dtype: unknown dtype "F128"/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape must be an array of non-negative integers/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /a hole of 4 bytes before tensor "w"/);
  rejects(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /an overlap with tensor "b"/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /4 bytes after the last tensor are not described/);
  rejects(withHeader({ __metadata__: { epoch: 3 } }, 0), /at \/__metadata__\/epoch: metadata values must be strings/);
  const i64 = parseSafetensors(withHeader({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, 8), f);
  assert.throws(() => entryToFloat32(i64.tensors.get('n')!, f), /tensor "n" has dtype I64; only F32, F16, BF16 and F64/);
  await assert.rejects(readSafetensors(`${FIXTURES}no-such.safetensors`), /no-such.safetensors: cannot read safetensors file/);
});
