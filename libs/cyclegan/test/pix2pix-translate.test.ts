// A pix2pix checkpoint loads as a translation generator and runs in TfjsTranslator, with images
// padded to the U-Net's size multiple (2^numDowns) and cropped back; CycleGAN checkpoints still load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  cropImage, loadTranslationGenerator, PatchDiscriminator, reflectPadImage, ResnetGenerator, rgbToUnit, savePix2PixCheckpoint,
  TfjsTranslator, UnetGenerator, unitToRgbBytes, writeSafetensors, type RgbImage,
} from '../src/index.ts';
import { FIXTURES } from './helpers.ts';

await tf.setBackend('cpu');
const ARCH = { ngf: 4, numDowns: 5, norm: 'batch' as const, dropout: true };

function image(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101 + ((i / 3) | 0) % width * 5) % 256;
  return { width, height, data };
}

test('a pix2pix checkpoint translates through TfjsTranslator: padded to 2^numDowns, cropped back, reference-test inference', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2p-translate-'));
  const g = new UnetGenerator(ARCH, { seed: 4, initGain: 0.2, name: 'p2p_tr_G' });
  const d = new PatchDiscriminator({ inputNc: 6, ndf: 8, nLayers: 2 }, { norm: 'batch', name: 'p2p_tr_D' });
  try {
    await savePix2PixCheckpoint(dir, { G: g, D: d }, { architecture: { ...ARCH, ndf: 8, nLayers: 2 } });
    const loaded = await loadTranslationGenerator(dir);
    assert.ok(loaded instanceof UnetGenerator);
    const translator = await TfjsTranslator.create(loaded, { ownsGenerator: true });
    assert.equal(translator.info.generator, 'unet');
    assert.equal(translator.info.numDowns, 5);
    const inputs = [image(40, 30, 1), image(40, 30, 2), image(20, 33, 3)];
    const outputs = await translator.translate(inputs);
    assert.deepEqual(outputs.map((o) => [o.width, o.height]), [[40, 30], [40, 30], [20, 33]]);
    // The same by hand: reflect-pad to multiples of 32, one image at a time, crop.
    for (const [k, im] of inputs.entries()) {
      const w = Math.ceil(im.width / 32) * 32;
      const h = Math.ceil(im.height / 32) * 32;
      const padded = reflectPadImage(im, w, h);
      const x = new Float32Array(w * h * 3);
      rgbToUnit(padded, x);
      const y = tf.tidy(() => g.apply(tf.tensor4d(x, [1, h, w, 3])).dataSync() as Float32Array);
      const expected = cropImage({ width: w, height: h, data: unitToRgbBytes(y, 0, y.length) }, im.width, im.height);
      let off = 0;
      for (let i = 0; i < expected.data.length; i++) off = Math.max(off, Math.abs(expected.data[i] - outputs[k].data[i]));
      assert.ok(off <= 1, `image ${k}: ${off} levels off`);
    }
    await assert.rejects(TfjsTranslator.create(g, { tiling: 'always' }), /ResnetGenerator/);
    translator.dispose();
  } finally {
    g.dispose();
    d.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('bare state_dicts are told apart by their keys; CycleGAN checkpoints still load', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2p-bare-'));
  const g = new UnetGenerator(ARCH, { seed: 1, name: 'p2p_bare_G' });
  try {
    await writeSafetensors(join(dir, 'netG.safetensors'), await g.stateDict());
    const unet = await loadTranslationGenerator(join(dir, 'netG.safetensors'));
    assert.ok(unet instanceof UnetGenerator);
    assert.deepEqual(unet.architecture, g.architecture);
    unet.dispose();
    const resnet = await loadTranslationGenerator(`${FIXTURES}ts_checkpoint`);
    assert.ok(resnet instanceof ResnetGenerator);
    resnet.dispose();
  } finally {
    g.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
