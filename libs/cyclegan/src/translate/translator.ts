/**
 * The one interface every translation engine implements (tfjs and ONNX Runtime):
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

/** How one group of same-size images is run. */
export interface ExecutionPlan {
  readonly mode: 'whole' | 'tiled';
  /** Images per generator call (1 when tiled). */
  readonly batch: number;
  readonly why: string;
}

/** Told how each image size is run (whole or tiled, the batch, why), once per size and plan. */
export type PlanListener = (width: number, height: number, plan: ExecutionPlan) => void;

/** A listener that hears each distinct (size, plan) once; a no-op without one. */
export function oncePerPlan(listener: PlanListener | undefined): PlanListener {
  if (!listener) return () => {};
  const told = new Set<string>();
  return (width, height, plan) => {
    const key = `${width}x${height} ${plan.mode} ${plan.batch}`;
    if (told.has(key)) return;
    told.add(key);
    listener(width, height, plan);
  };
}
