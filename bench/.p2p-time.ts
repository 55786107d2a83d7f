import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Pix2PixModel } from '../libs/cyclegan/src/index.ts';
import { registerFastKernels } from '../libs/cyclegan/src/kernels/index.ts';
await tf.setBackend('cpu');
if (process.argv[2] === 'fast') registerFastKernels('cpu');
const size = Number(process.argv[3] ?? 32), nd = Number(process.argv[4] ?? 5), ngf = Number(process.argv[5] ?? 4);
const m = new Pix2PixModel({ ngf, numDowns: nd, ndf: 8 });
const a = tf.randomUniform([2, size, size, 3], -1, 1) as tf.Tensor4D, b = tf.randomUniform([2, size, size, 3], -1, 1) as tf.Tensor4D;
for (let i = 0; i < 4; i++) { const t = performance.now(); m.optimizeParameters(a, b, 2e-4); console.log(i, (performance.now() - t).toFixed(0), 'ms', tf.memory().numTensors); }
