import type { backend_util } from '@tensorflow/tfjs-core';
import type { NaiveConv } from './kernels-reference.ts';

/** The convolution shapes a CycleGAN training step runs, shrunk spatially so that tests stay fast. */
export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
}

const P1: backend_util.ExplicitPadding = [[0, 0], [1, 1], [1, 1], [0, 0]];

export const CONV_CASES: ConvCase[] = [
  { name: 'G in: k7 s1 valid 3->16 (after reflect pad)', x: [1, 20, 20, 3], w: [7, 7, 3, 16], stride: 1, pad: 'valid' },
  { name: 'G out: k7 s1 valid 16->3, batch 2', x: [2, 17, 17, 16], w: [7, 7, 16, 3], stride: 1, pad: 'valid' },
  { name: 'G down: k3 s2 explicit pad 1, 16->32, batch 2', x: [2, 12, 12, 16], w: [3, 3, 16, 32], stride: 2, pad: P1 },
  { name: 'G block: k3 s1 valid 64->64', x: [1, 10, 10, 64], w: [3, 3, 64, 64], stride: 1, pad: 'valid' },
  { name: 'G up (as its transpose): k3 s2 valid 16->32, odd size', x: [1, 13, 13, 16], w: [3, 3, 16, 32], stride: 2, pad: 'valid' },
  { name: 'D in: k4 s2 pad 1, 3->64, batch 2', x: [2, 16, 16, 3], w: [4, 4, 3, 64], stride: 2, pad: 1 },
  { name: 'D mid: k4 s2 pad 1, 32->48', x: [1, 8, 8, 32], w: [4, 4, 32, 48], stride: 2, pad: P1 },
  { name: 'D k4 s1 pad 1, 64->40', x: [1, 6, 6, 64], w: [4, 4, 64, 40], stride: 1, pad: P1 },
  { name: 'D out: k4 s1 pad 1, 64->1, batch 2', x: [2, 6, 6, 64], w: [4, 4, 64, 1], stride: 1, pad: P1 },
  { name: 'k3 s2 valid 4->3 (input rows left unused)', x: [1, 14, 14, 4], w: [3, 3, 4, 3], stride: 2, pad: 'valid' },
  { name: "k3 s1 'same' 5->7", x: [1, 9, 9, 5], w: [3, 3, 5, 7], stride: 1, pad: 'same' },
];

/** Output size and top/left padding the way TensorFlow defines them. */
export function naiveGeometry(c: ConvCase): NaiveConv {
  const [, h, w] = c.x;
  const [kh, kw] = c.w;
  const s = c.stride;
  let padTop = 0, padLeft = 0, outH: number, outW: number;
  if (c.pad === 'valid') {
    outH = Math.floor((h - kh) / s) + 1;
    outW = Math.floor((w - kw) / s) + 1;
  } else if (c.pad === 'same') {
    outH = Math.ceil(h / s);
    outW = Math.ceil(w / s);
    padTop = Math.floor(Math.max(0, (outH - 1) * s + kh - h) / 2);
    padLeft = Math.floor(Math.max(0, (outW - 1) * s + kw - w) / 2);
  } else {
    const [[, ], [t, b], [l, r]] = typeof c.pad === 'number'
      ? [[0, 0], [c.pad, c.pad], [c.pad, c.pad]] : c.pad;
    padTop = t;
    padLeft = l;
    outH = Math.floor((h + t + b - kh) / s) + 1;
    outW = Math.floor((w + l + r - kw) / s) + 1;
  }
  return { x: c.x, w: c.w, stride: s, padTop, padLeft, outH, outW };
}
