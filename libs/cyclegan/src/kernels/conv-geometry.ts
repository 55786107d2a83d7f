import { backend_util } from '@tensorflow/tfjs-core';

/** Shape of one NHWC 2-D convolution, as the im2col helpers need it. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

export function geometryFromConvInfo(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Output pixels over the whole batch: the row count of the im2col matrix. */
export function outputPixels(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW;
}

/** Length of one im2col row: one filter's worth of inputs, ordered (kh, kw, inC) like the NHWC filter. */
export function patchSize(g: ConvGeometry): number {
  return g.kH * g.kW * g.inC;
}

/** Rows per chunk so that a chunk of im2col rows holds at most `maxFloats` numbers. */
export function rowsPerChunk(g: ConvGeometry, maxFloats: number): number {
  return Math.max(1, Math.min(outputPixels(g), Math.floor(maxFloats / patchSize(g))));
}
