// openTranslator: one build takes one engine whatever the timing noise (rule 'fixed' never times),
// 'fastest' keeps the translator it timed, and a previous run's engine is kept without timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import { FIXED_ORDER, openTranslator, type EngineCandidate } from '../src/engine-choice.ts';
import type { Translator } from '../src/translate/translator.ts';

await selectBackend('cpu');
const generator = (): ResnetGenerator => new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 3, initGain: 0.2 });

/** A timer that reports the given milliseconds per candidate (and remembers what it timed). */
function forcedTimes(ms: Partial<Record<EngineCandidate, number>>) {
  const timed = new Map<EngineCandidate, Translator>();
  const time = async (c: EngineCandidate, t: Translator): Promise<number> => {
    timed.set(c, t);
    return ms[c] ?? 1000;
  };
  return { timed, time };
}

test('two shards whose timings disagree take the same engine under rule fixed, and different ones under rule fastest', async () => {
  const shard0 = forcedTimes({ 'onnx:cpu': 5, 'tfjs:wasm': 50 });
  const shard1 = forcedTimes({ 'onnx:cpu': 50, 'tfjs:wasm': 5 });
  const fixed = [];
  for (const { time } of [shard0, shard1]) {
    const { translator, reason } = await openTranslator({ model: generator(), rule: 'fixed', timeCandidate: time, probeSize: 16 });
    fixed.push(reason);
    translator.dispose();
  }
  assert.equal(shard0.timed.size + shard1.timed.size, 0, 'rule fixed times nothing');
  assert.deepEqual(fixed.map((r) => `${r.engine}:${r.backend}`), [FIXED_ORDER[0], FIXED_ORDER[0]]);
  assert.deepEqual(fixed.map((r) => r.how), ['fixed', 'fixed']);
  assert.match(fixed[0].line, /^onnx on cpu \(fixed order, the same in every shard/);

  const fastest = [];
  for (const { time } of [shard0, shard1]) {
    const { translator, reason } = await openTranslator({ model: generator(), timeCandidate: time, probeSize: 16 });
    fastest.push(`${reason.engine}:${reason.backend}`);
    translator.dispose();
  }
  assert.deepEqual(fastest, ['onnx:cpu', 'tfjs:wasm'], 'the forced timings decide rule fastest');
});

test('rule fastest keeps the translator it timed, and says every time on one line', async () => {
  const { timed, time } = forcedTimes({ 'onnx:cpu': 7.25, 'tfjs:cpu': 30 });
  const { translator, reason } = await openTranslator({ model: generator(), backend: 'cpu', timeCandidate: time, probeSize: 16 });
  assert.equal(translator, timed.get('onnx:cpu'), 'the measured onnx translator is the one returned');
  assert.equal(reason.line, 'onnx on cpu (fastest: onnx:cpu 7.3 ms, tfjs:cpu 30.0 ms)');
  assert.match(reason.details[0], /fastest on a 16x16 probe: onnx:cpu; measured onnx:cpu 7\.3 ms, tfjs:cpu 30\.0 ms \(4\.1x slower\)/);
  assert.doesNotMatch(reason.details.join('; '), /requested/, 'nothing was requested');
  assert.match(reason.details.at(-1)!, /^onnx on cpu: MLAS kernels on the CPU/);
  const [out] = await translator.translate([{ width: 20, height: 12, data: new Uint8Array(20 * 12 * 3).fill(90) }]);
  assert.deepEqual([out.width, out.height], [20, 12]);
  translator.dispose();
});

test('a previous run\'s engine is kept without timing; tile vocabulary and option errors', async () => {
  const { timed, time } = forcedTimes({ 'onnx:cpu': 5, 'tfjs:wasm': 50 });
  const kept = await openTranslator({ model: generator(), previous: { engine: 'tfjs', backend: 'wasm' }, timeCandidate: time, tile: 'off' });
  assert.equal(timed.size, 0);
  assert.deepEqual([kept.reason.engine, kept.reason.backend, kept.reason.how], ['tfjs', 'wasm', 'kept']);
  assert.equal(kept.translator.info.backend, 'wasm');
  kept.translator.dispose();
  await assert.rejects(openTranslator({ model: generator(), tile: 'never' as never }), /tile must be 'auto', 'off' or a tile side in pixels/);
  await assert.rejects(openTranslator({ model: generator(), engine: 'onnx', backend: 'wasm' }), (e: Error) => e instanceof RangeError && /the onnx engine runs on ONNX Runtime providers/.test(e.message));
});
