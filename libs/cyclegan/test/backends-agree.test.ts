// The same generator and image on cpu, wasm and webgpu (where available) give the same output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareWebGpu, selectBackend } from '../src/backends/index.ts';
import { ResnetGenerator } from '../src/networks/resnet-generator.ts';
import { TfjsTranslator, type RgbImage } from '../src/translate/index.ts';

/** 8-bit levels; float differences of ~1e-6 can move a value across a truncation boundary. */
const TOLERANCE = 1;

test('cpu, wasm and webgpu translations agree', async () => {
  const webgpu = await prepareWebGpu().then(() => true, () => false);
  await selectBackend('cpu');
  const generator = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 11, initGain: 0.2 });
  const im: RgbImage = { width: 60, height: 44, data: Uint8Array.from({ length: 60 * 44 * 3 }, (_, i) => (i * 37) % 256) };
  const outputs = new Map<string, Uint8Array>();
  for (const name of ['cpu', 'wasm', ...(webgpu ? ['webgpu'] : [])]) {
    await selectBackend(name);
    const t = await TfjsTranslator.create(generator);
    outputs.set(name, (await t.translate([im]))[0].data);
  }
  const ref = outputs.get('cpu')!;
  for (const [name, out] of outputs) {
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(out[i] - ref[i]);
      worst = Math.max(worst, d);
      if (d) differing++;
    }
    console.log(`${name} vs cpu: max ${worst} levels, ${differing} of ${ref.length} values differ (tolerance ${TOLERANCE})`);
    assert.ok(worst <= TOLERANCE, `${name}: ${worst}`);
  }
});
