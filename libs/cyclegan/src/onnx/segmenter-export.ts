/**
 * The Segmenter (networks/segmenter.ts) as an ONNX model (opset 17), built with export.ts's
 * GraphBuilder: Conv (zero pads 1), Relu, ConvTranspose (stride 2, pads 1, output_padding 1),
 * Concat on channels, and a 1x1 Conv head. Initialisers carry the state_dict names and PyTorch layout.
 *
 * I/O: `input` [batch, inputNc, height, width] float32, the image normalised per channel
 * ((x / 255 - mean) / std, ImageNet's by default) -> `logits` [batch, classes, height, width].
 * Height and width must be multiples of 2^depth.
 */
import type { StateDictTensor } from '../networks/network.ts';
import { resolveSegmenterArchitecture, segmenterSpecs, type Segmenter, type SegmenterArchitecture } from '../networks/segmenter.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../train/segmenter-training.ts';
import { modelHash } from '../translate/model-hash.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import { GraphBuilder, ONNX_INPUT_NAME, checkExportTensors, checkLittleEndian, imageValueInfo } from './export.ts';

export const SEGMENTER_OUTPUT_NAME = 'logits';

/** The ONNX model (serialised ModelProto) of a Segmenter given by its state_dict (PyTorch names and layout). */
export function segmenterToOnnx(stateDict: readonly StateDictTensor[], architecture: Partial<SegmenterArchitecture>): Uint8Array {
  checkLittleEndian();
  const arch = resolveSegmenterArchitecture(architecture);
  const specs = segmenterSpecs(arch);
  const tensors = checkExportTensors('segmenterToOnnx', stateDict, specs, arch);
  const g = new GraphBuilder('fp32');
  const param = (name: string): string => g.floats(name, tensors.get(name)!.shape, tensors.get(name)!.data);
  const conv = (x: string, layer: string, k: number, stride: number, pad: number, output = `${layer}.conv`): string =>
    g.node('Conv', [x, param(`${layer}.weight`), param(`${layer}.bias`)], output, {
      kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], group: 1,
    });
  const relu = (x: string, layer: string): string => g.node('Relu', [x], `${layer}.relu`);

  const skips: string[] = [];
  let h = ONNX_INPUT_NAME;
  for (let i = 0; i <= arch.depth; i++) {
    h = relu(conv(h, `enc.${i}`, 3, i === 0 ? 1 : 2, 1), `enc.${i}`);
    skips.push(h);
  }
  for (let i = arch.depth - 1; i >= 0; i--) {
    const up = g.node('ConvTranspose', [h, param(`up.${i}.weight`), param(`up.${i}.bias`)], `up.${i}.conv_transpose`, {
      kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1], dilations: [1, 1], group: 1,
    });
    const joined = g.node('Concat', [skips[i], relu(up, `up.${i}`)], `dec.${i}.concat`, { axis: 1 });
    h = relu(conv(joined, `dec.${i}`, 3, 1, 1), `dec.${i}`);
  }
  conv(h, 'head', 1, 1, 0, SEGMENTER_OUTPUT_NAME);

  return g.encode({
    docString: 'nightshift Segmenter: compact encoder-decoder, logits over Cityscapes trainIds',
    graphName: `segmenter_w${arch.width}_d${arch.depth}_c${arch.classes}`,
    input: imageValueInfo(ONNX_INPUT_NAME, arch.inputNc),
    output: imageValueInfo(SEGMENTER_OUTPUT_NAME, arch.classes),
    metadata: {
      architecture: JSON.stringify({ kind: 'Segmenter', ...arch }),
      modelHash: modelHash(specs.map((s) => tensors.get(s.name)!)),
      precision: 'fp32',
      io: `NCHW RGB float32, (x / 255 - mean) / std with mean ${IMAGENET_MEAN.join(',')} and std ${IMAGENET_STD.join(',')} -> NCHW logits over ${arch.classes} trainIds`,
    },
  });
}

/** Writes the ONNX model of a segmenter to `path` (temporary name, fsync, rename). Returns its bytes. */
export async function writeSegmenterOnnx(segmenter: Segmenter, path: string): Promise<Uint8Array> {
  const bytes = segmenterToOnnx(await segmenter.stateDict(), segmenter.architecture);
  await writeFileAtomic(path, bytes);
  return bytes;
}
