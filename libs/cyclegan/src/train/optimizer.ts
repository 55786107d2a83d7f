/**
 * Adam exactly as torch.optim.Adam (torch 1.13 `_single_tensor_adam`, no weight decay, no amsgrad),
 * written out so that its state (step, m, v) is explicit, can be saved, and resumes bit-exactly.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** Reference defaults: betas (0.5, 0.999) (`--beta1 0.5`), torch's eps 1e-8. */
export const CYCLEGAN_ADAM: Readonly<AdamOptions> = Object.freeze({ beta1: 0.5, beta2: 0.999, eps: 1e-8 });

export interface AdamState {
  readonly step: number;
  /** First and second moments, one per parameter, in the order of the optimiser's variables. */
  readonly m: readonly Float32Array[];
  readonly v: readonly Float32Array[];
}

export class Adam {
  private stepCount = 0;
  private m: tf.Tensor[];
  private v: tf.Tensor[];

  constructor(
    readonly variables: readonly tf.Variable[],
    readonly options: AdamOptions = CYCLEGAN_ADAM,
  ) {
    this.m = variables.map((x) => tf.keep(tf.zerosLike(x)));
    this.v = variables.map((x) => tf.keep(tf.zerosLike(x)));
  }

  get step(): number {
    return this.stepCount;
  }

  /** One update with learning rate `lr`; `grads[i]` belongs to `variables[i]`. */
  apply(grads: readonly tf.Tensor[], lr: number): void {
    if (grads.length !== this.variables.length) {
      throw new RangeError(`Adam got ${grads.length} gradients for ${this.variables.length} variables`);
    }
    const { beta1, beta2, eps } = this.options;
    this.stepCount++;
    const biasCorrection1 = 1 - beta1 ** this.stepCount;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** this.stepCount);
    const stepSize = lr / biasCorrection1;
    for (let i = 0; i < this.variables.length; i++) {
      const g = grads[i];
      const [m, v] = tf.tidy(() => [
        tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1)),
        tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.mul(g, 1 - beta2), g)),
      ]);
      this.m[i].dispose();
      this.v[i].dispose();
      this.m[i] = tf.keep(m);
      this.v[i] = tf.keep(v);
      tf.tidy(() => {
        const denom = tf.add(tf.div(tf.sqrt(v), biasCorrection2Sqrt), eps);
        this.variables[i].assign(tf.sub(this.variables[i], tf.mul(tf.div(m, denom), stepSize)));
      });
    }
  }

  /** One update from gradients named by variable (tf.variableGrads); disposes the gradients. */
  applyNamed(grads: tf.NamedTensorMap, lr: number): void {
    try {
      this.apply(
        this.variables.map((v) => {
          const g = grads[v.name];
          if (g === undefined) throw new Error(`no gradient for ${v.name}`);
          return g;
        }),
        lr,
      );
    } finally {
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  async state(): Promise<AdamState> {
    const read = (ts: readonly tf.Tensor[]): Promise<Float32Array[]> => Promise.all(ts.map(async (t) => ((await t.data()) as Float32Array).slice()));
    return { step: this.stepCount, m: await read(this.m), v: await read(this.v) };
  }

  restore(state: AdamState): void {
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length) {
      throw new RangeError(`Saved Adam state has ${state.m.length} moments for ${this.variables.length} variables`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`Saved Adam step must be a non-negative integer, got ${String(state.step)}`);
    }
    const load = (data: Float32Array, i: number): tf.Tensor => {
      const x = this.variables[i];
      if (data.length !== x.size) {
        throw new RangeError(`Saved Adam moment for ${x.name} has ${data.length} values, expected ${x.size}`);
      }
      return tf.keep(tf.tensor(data, x.shape, 'float32'));
    };
    const m = state.m.map(load);
    const v = state.v.map(load);
    this.dispose();
    this.m = m;
    this.v = v;
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
    this.m = [];
    this.v = [];
  }
}
