// Child process of wasm-threads.test.ts: the backend setup and the gradients of a small conv
// network on the wasm backend (with the project's fast kernels) as one JSON line. The process must
// then exit on its own, XNNPACK's pool threads notwithstanding.
import * as tf from '@tensorflow/tfjs-core';
import { prepareWasm } from '../src/backends/index.ts';
import { registerFastKernels } from '../src/kernels/index.ts';
import { seededData } from './kernels-reference.ts';

const setup = await prepareWasm();
registerFastKernels('wasm');
tf.env().set('PROD', true); // no "install tfjs-node" banner
if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
const x = tf.tensor4d(seededData(32 * 32 * 8, 1), [1, 32, 32, 8]);
const w1 = tf.tensor4d(seededData(3 * 3 * 8 * 16, 2), [3, 3, 8, 16]);
const w2 = tf.tensor4d(seededData(3 * 3 * 16 * 16, 3), [3, 3, 16, 16]);
const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar =>
  tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')), c as tf.Tensor4D, 1, 'same')));
const grads = tf.grads(loss)([x, w1, w2]);
process.stdout.write(JSON.stringify({ setup, grads: grads.map((g) => Array.from(g.dataSync())) }) + '\n');
