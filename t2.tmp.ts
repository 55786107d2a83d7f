import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, uninstallWebGpuDispatchFix, installWebGpuDispatchFix } from './libs/cyclegan/src/backends/index.ts';
import { ResnetGenerator } from './libs/cyclegan/src/networks/resnet-generator.ts';
await selectBackend('webgpu');
const g = new ResnetGenerator({ ngf: 4, nBlocks: 1 }, { seed: 1, initGain: 0.2 });
const x = tf.randomUniform([1, 1024, 2048, 3], -1, 1) as tf.Tensor4D;
uninstallWebGpuDispatchFix();
try { const y = g.apply(x); await y.data(); console.log('stock: ok?!'); y.dispose(); } catch (e) { console.log('stock:', (e as Error).message); }
console.log(tf.memory().numTensors);
installWebGpuDispatchFix();
for (let i = 0; i < 2; i++) {
const t0 = performance.now();
const y = g.apply(x); const d = await y.data(); console.log('fixed ms', performance.now() - t0, d.length, d[0], d[d.length-1]); y.dispose();
}
const { applyTiled } = await import('./libs/cyclegan/src/translate/tiled.ts');
const xd = await x.data() as Float32Array;
const t0 = performance.now();
const tiled = await applyTiled(g, { height: 1024, width: 2048, channels: 3, data: xd }, { tileSize: 512 });
console.log('tiled ms', performance.now() - t0);
const y = g.apply(x); const d = await y.data();
let m = 0; for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i] - tiled.data[i])); console.log('maxdiff', m);
process.exit(0);
