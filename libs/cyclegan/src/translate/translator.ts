/**
 * The one interface every translation engine implements (tfjs here; the ONNX Runtime engine later):
 * 8-bit RGB in, 8-bit RGB of exactly the same size out.
 */
import type { RgbImage } from './image.ts';

export interface TranslatorInfo {
  /** 'tfjs' or 'onnx'. */
  readonly engine: string;
  /** The backend or execution provider it runs on, e.g. 'webgpu', 'wasm', 'cpu'. */
  readonly backend: string;
  /** sha256 (hex) of the generator's weights, see modelHash(). */
  readonly modelHash: string;
}

export interface Translator {
  readonly info: TranslatorInfo;
  /**
   * Translates each image; the result has the same order and each image the same width and height.
   * Images may have any size and be mixed; same-size images are batched.
   */
  translate(images: readonly RgbImage[]): Promise<RgbImage[]>;
  /** Frees what the engine holds on its backend. The translator cannot be used afterwards. */
  dispose(): void;
}
