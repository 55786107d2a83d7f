// tfjs-core 4.22's MirrorPad gradient only slices the centre out of dy, dropping the gradient that
// flows through the reflected border (PyTorch's ReflectionPad2d backward folds it back in). This
// registers the correct gradient: each padded strip is reversed and added onto the cells it copied.
// tfjs-core's gradients are registered first (module evaluation order), so this override wins.
import '../train/register-gradients.ts';
import { MirrorPad, add, pad, registerGradient, reverse, slice } from '@tensorflow/tfjs-core';
import type { GradConfig, MirrorPadAttrs, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

export function mirrorPadBackward(
  dy: Tensor, inputShape: readonly number[], paddings: ReadonlyArray<readonly [number, number]>,
  mode: 'reflect' | 'symmetric',
): Tensor {
  const offset = mode === 'reflect' ? 1 : 0;
  let g = dy;
  for (let axis = 0; axis < inputShape.length; axis++) {
    const [before, after] = paddings[axis];
    if (before === 0 && after === 0) continue;
    const n = inputShape[axis];
    g = add3(
      sliceAxis(g, axis, before, n),
      before > 0 ? padAxis(reverse(sliceAxis(g, axis, 0, before), axis), axis, offset, n - before - offset) : null,
      after > 0 ? padAxis(reverse(sliceAxis(g, axis, before + n, after), axis), axis, n - after - offset, offset) : null,
    );
  }
  return g;
}

function add3(a: Tensor, b: Tensor | null, c: Tensor | null): Tensor {
  let s = a;
  if (b) s = add(s, b);
  if (c) s = add(s, c);
  return s;
}

function sliceAxis(t: Tensor, axis: number, begin: number, size: number): Tensor {
  const b = t.shape.map((_, i) => (i === axis ? begin : 0));
  const s = t.shape.map((d, i) => (i === axis ? size : d));
  return slice(t, b, s);
}

function padAxis(t: Tensor, axis: number, before: number, after: number): Tensor {
  return pad(t, t.shape.map((_, i): [number, number] => (i === axis ? [before, after] : [0, 0])));
}

export const mirrorPadGradConfig: GradConfig = {
  kernelName: MirrorPad,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const { paddings, mode } = attrs as unknown as MirrorPadAttrs;
    return { x: () => mirrorPadBackward(dy as Tensor, x.shape, paddings, mode) };
  },
};

/** Replaces tfjs-core's MirrorPad gradient with the correct one (global, all backends; idempotent). */
export function registerMirrorPadGradient(): void {
  registerGradient(mirrorPadGradConfig);
}
