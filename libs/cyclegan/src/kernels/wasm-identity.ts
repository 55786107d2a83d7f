// tfjs-backend-wasm's Identity copies its input into a new buffer. Autodiff clones every input it
// saves for the backward pass, so a training iteration made thousands of copies, and the weights the
// gradient kernels received were fresh buffers each time: neither XNNPACK's packed-operator cache
// nor ours (flipped filters, wasm-conv.ts) could ever hit. Sharing the buffer under a second
// reference, as tfjs-backend-cpu and wasm's own Reshape do, is safe because no kernel writes into
// its inputs.
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callFallback } from './conv-attrs.ts';

export function wasmIdentity(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return callFallback(fallback, args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
