/**
 * The history of generated images that the discriminators learn from (junyanz util/image_pool.py):
 * until the pool is full every fake is stored and returned as is; afterwards, with probability 1/2
 * a random stored fake is returned and replaced by the current one, otherwise the current one is
 * returned. Images are kept on the host as typed arrays, which makes the state easy to save.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RandomStream, type RandomStreamState } from './random-stream.ts';

export interface PooledImage {
  /** [height, width, channels]. */
  readonly shape: readonly [number, number, number];
  /** HWC values. */
  readonly data: Float32Array;
}

export interface ImagePoolState {
  readonly poolSize: number;
  readonly images: readonly PooledImage[];
  readonly random: RandomStreamState;
}

export class ImagePool {
  private images: PooledImage[] = [];

  constructor(
    readonly poolSize: number,
    private random: RandomStream,
  ) {
    if (!Number.isInteger(poolSize) || poolSize < 0) {
      throw new RangeError(`Expected a non-negative integer pool size but received ${String(poolSize)}`);
    }
  }

  get size(): number {
    return this.images.length;
  }

  /** Returns a batch of fakes for the discriminator, drawn from the history as the reference does. */
  async query(fakes: tf.Tensor4D): Promise<tf.Tensor4D> {
    if (this.poolSize === 0) return fakes.clone();
    const [n, h, w, c] = fakes.shape;
    // An async read: the webgpu backend cannot read synchronously under Node.
    const data = (await fakes.data()) as Float32Array;
    const per = h * w * c;
    const returned: PooledImage[] = [];
    for (let i = 0; i < n; i++) {
      const image: PooledImage = { shape: [h, w, c], data: data.slice(i * per, (i + 1) * per) };
      if (this.images.length < this.poolSize) {
        this.images.push(image);
        returned.push(image);
      } else if (this.random.float() > 0.5) {
        const slot = this.random.int(0, this.poolSize - 1);
        returned.push(this.images[slot]);
        this.images[slot] = image;
      } else {
        returned.push(image);
      }
    }
    const shape = returned[0].shape;
    if (returned.some((im) => im.shape.some((d, k) => d !== shape[k]))) {
      throw new RangeError(
        'Image pool returned fakes of different sizes for one batch; ' +
          'training images must have one size when the batch size is above 1 (use a crop preprocess)',
      );
    }
    const out = new Float32Array(returned.length * shape[0] * shape[1] * shape[2]);
    returned.forEach((im, i) => out.set(im.data, i * im.data.length));
    return tf.tensor4d(out, [returned.length, shape[0], shape[1], shape[2]]);
  }

  state(): ImagePoolState {
    return {
      poolSize: this.poolSize,
      images: this.images.map((im) => ({ shape: im.shape, data: im.data.slice() })),
      random: this.random.state(),
    };
  }

  restore(state: ImagePoolState): void {
    if (state.poolSize !== this.poolSize) {
      throw new RangeError(`Saved image pool holds up to ${state.poolSize} images but this pool holds ${this.poolSize}`);
    }
    if (state.images.length > this.poolSize) {
      throw new RangeError(`Saved image pool has ${state.images.length} images, more than its size ${this.poolSize}`);
    }
    for (const im of state.images) {
      const expected = im.shape[0] * im.shape[1] * im.shape[2];
      if (im.data.length !== expected) {
        throw new RangeError(`Saved pool image of shape ${im.shape.join('x')} has ${im.data.length} values`);
      }
    }
    this.images = state.images.map((im) => ({ shape: [im.shape[0], im.shape[1], im.shape[2]], data: im.data.slice() }));
    this.random = RandomStream.restore(state.random);
  }
}
