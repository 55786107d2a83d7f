/**
 * Parameter specs: the single description of every tensor of a network, from which creation,
 * counting and the PyTorch <-> TF.js layout mapping are all derived.
 *
 * Layouts: Conv2d weight [out,in,kh,kw] -> tf.conv2d filter [kh,kw,in,out]; ConvTranspose2d weight
 * [in,out,kh,kw] -> tf.conv2dTranspose filter [kh,kw,out,in]. Both are the permutation (2,3,1,0),
 * with no kernel flip (REFERENCE section 3).
 */

export type ParamKind =
  | 'conv2d-weight'
  | 'conv-transpose2d-weight'
  | 'bias'
  /** BatchNorm2d affine weight (reference init N(1, gain)). */
  | 'norm-weight'
  /** BatchNorm2d buffers: in the state_dict but not parameters (not trained, not counted). */
  | 'running-mean'
  | 'running-var'
  | 'num-batches-tracked'
  /** CUT's blur-pool filters (Downsample / Upsample `filt`): fixed buffers, one kernel per channel. */
  | 'blur-down-filter'
  | 'blur-up-filter';

const BUFFER_KINDS: ReadonlySet<ParamKind> = new Set<ParamKind>(['running-mean', 'running-var', 'num-batches-tracked', 'blur-down-filter', 'blur-up-filter']);

/** Whether a state_dict entry is a buffer (running statistics) rather than a trainable parameter. */
export function isBufferSpec(s: ParamSpec): boolean {
  return BUFFER_KINDS.has(s.kind);
}

export interface ParamSpec {
  /** The PyTorch state_dict key, e.g. `model.10.conv_block.1.weight`. */
  readonly name: string;
  readonly kind: ParamKind;
  readonly torchShape: readonly number[];
  readonly tfShape: readonly number[];
  readonly size: number;
}

function spec(name: string, kind: ParamKind, torchShape: number[]): ParamSpec {
  const tfShape = torchShape.length === 4 ? [torchShape[2], torchShape[3], torchShape[1], torchShape[0]] : torchShape;
  return Object.freeze({
    name,
    kind,
    torchShape: Object.freeze(torchShape),
    tfShape: Object.freeze(tfShape),
    size: torchShape.reduce((a, b) => a * b, 1),
  });
}

/** `nn.Conv2d(inC, outC, k, bias=True)` registered as `prefix`. */
export function conv2dParams(prefix: string, inC: number, outC: number, k: number): ParamSpec[] {
  return [spec(`${prefix}.weight`, 'conv2d-weight', [outC, inC, k, k]), spec(`${prefix}.bias`, 'bias', [outC])];
}

/** `nn.ConvTranspose2d(inC, outC, k, bias=True)` registered as `prefix`. */
export function convTranspose2dParams(prefix: string, inC: number, outC: number, k: number): ParamSpec[] {
  return [spec(`${prefix}.weight`, 'conv-transpose2d-weight', [inC, outC, k, k]), spec(`${prefix}.bias`, 'bias', [outC])];
}

/** `nn.BatchNorm2d(c, affine=True)` registered as `prefix`: weight, bias and the three buffers. */
export function batchNorm2dParams(prefix: string, c: number): ParamSpec[] {
  return [
    spec(`${prefix}.weight`, 'norm-weight', [c]),
    spec(`${prefix}.bias`, 'bias', [c]),
    spec(`${prefix}.running_mean`, 'running-mean', [c]),
    spec(`${prefix}.running_var`, 'running-var', [c]),
    spec(`${prefix}.num_batches_tracked`, 'num-batches-tracked', []),
  ];
}

/** `nn.Conv2d(inC, outC, k, bias=False)`, as the reference builds convs followed by BatchNorm. */
export function conv2dNoBiasParams(prefix: string, inC: number, outC: number, k: number): ParamSpec[] {
  return [spec(`${prefix}.weight`, 'conv2d-weight', [outC, inC, k, k])];
}

/** `nn.ConvTranspose2d(inC, outC, k, bias=False)`. */
export function convTranspose2dNoBiasParams(prefix: string, inC: number, outC: number, k: number): ParamSpec[] {
  return [spec(`${prefix}.weight`, 'conv-transpose2d-weight', [inC, outC, k, k])];
}

/** Trainable parameters (PyTorch's sum of p.numel() over net.parameters(); buffers excluded). */
export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((n, s) => n + (isBufferSpec(s) ? 0 : s.size), 0);
}

/** [d0,d1,kh,kw] (PyTorch) -> [kh,kw,d1,d0] (TF.js). Biases are returned as they are. */
export function torchToTfLayout(s: ParamSpec, data: Float32Array): Float32Array {
  if (s.torchShape.length !== 4) return data;
  const [d0, d1, kh, kw] = s.torchShape;
  const out = new Float32Array(data.length);
  const plane = kh * kw;
  const step = d1 * d0;
  let src = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let k = 0, dst = b * d0 + a; k < plane; k++, dst += step) out[dst] = data[src++];
    }
  }
  return out;
}

/** [kh,kw,d1,d0] (TF.js) -> [d0,d1,kh,kw] (PyTorch). */
export function tfToTorchLayout(s: ParamSpec, data: Float32Array): Float32Array {
  if (s.torchShape.length !== 4) return data;
  const [d0, d1, kh, kw] = s.torchShape;
  const out = new Float32Array(data.length);
  const plane = kh * kw;
  const step = d1 * d0;
  let dst = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let k = 0, src = b * d0 + a; k < plane; k++, src += step) out[dst++] = data[src];
    }
  }
  return out;
}

/** CUT's `Downsample(c)` / `Upsample(c)` registered as `prefix`: the `filt` buffer [c, 1, k, k]. */
export function blurFilterParams(prefix: string, c: number, kind: 'blur-down-filter' | 'blur-up-filter', k: number): ParamSpec[] {
  return [spec(`${prefix}.filt`, kind, [c, 1, k, k])];
}
