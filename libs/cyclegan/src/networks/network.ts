/**
 * What the generator and discriminator share: tf.Variables keyed by their PyTorch state_dict names
 * (in state_dict order), seeded N(0, gain) initialisation of conv weights with zero biases (reference
 * init_weights 'normal'), and state_dict export/import in PyTorch layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../random.ts';
import { countParams, isBufferSpec, tfToTorchLayout, torchToTfLayout, type ParamSpec } from './parameters.ts';

/**
 * Reference init_weights('normal'): conv weights N(0, gain), biases 0, BatchNorm weights N(1, gain);
 * BatchNorm buffers as nn.BatchNorm2d creates them (running_mean 0, running_var 1, no batches seen).
 */
function initialValues(s: ParamSpec, random: SeededRandom, gain: number): Float32Array {
  switch (s.kind) {
    case 'bias':
    case 'running-mean':
    case 'num-batches-tracked':
      return new Float32Array(s.size);
    case 'running-var':
      return new Float32Array(s.size).fill(1);
    case 'norm-weight':
      return random.fillNormal(new Float32Array(s.size), 1, gain);
    case 'blur-down-filter':
      return blurFilter(s, 1);
    case 'blur-up-filter':
      return blurFilter(s, 4);
    default:
      return random.fillNormal(new Float32Array(s.size), 0, gain);
  }
}

/**
 * CUT's get_filter: the outer product of a binomial row ([1, 2, 1], [1, 3, 3, 1]) normalised to sum
 * 1, times `gain` (Upsample's stride squared, 4), the same for every channel of the [c, 1, k, k] buffer.
 */
function blurFilter(s: ParamSpec, gain: number): Float32Array {
  const k = s.torchShape[3];
  const row = Array.from({ length: k }, (_, i) => binomial(k - 1, i));
  const sum = row.reduce((a, b) => a + b, 0) ** 2;
  const out = new Float32Array(s.size);
  for (let i = 0; i < out.length; i++) out[i] = (row[Math.floor(i / k) % k] * row[i % k] * gain) / sum;
  return out;
}

function binomial(n: number, r: number): number {
  let v = 1;
  for (let i = 1; i <= r; i++) v = (v * (n - i + 1)) / i;
  return v;
}

export interface NetworkOptions {
  /** Seed of the weight initialisation; the same seed gives the same weights. Default 0. */
  readonly seed?: number;
  /** Standard deviation of the N(0, gain) conv weight init (reference `--init_gain`). Default 0.02. */
  readonly initGain?: number;
  /** Prefix of the tf.Variable names (`${name}/model.1.weight`); made unique if already taken. */
  readonly name?: string;
  /** Whether the variables are trainable. Default true. */
  readonly trainable?: boolean;
  /**
   * Weights to start from (PyTorch layout, every key of the specs), instead of the random init:
   * a loaded network skips drawing values it would overwrite.
   */
  readonly weights?: ReadonlyMap<string, Float32Array>;
}

/** One tensor of a state_dict in PyTorch layout. */
export interface StateDictTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function uniqueScope(name: string): string {
  const names = Object.keys(tf.engine().registeredVariables);
  const taken = (scope: string): boolean => names.some((k) => k.startsWith(`${scope}/`));
  let scope = name;
  for (let i = 2; taken(scope); i++) scope = `${name}_${i}`;
  return scope;
}

/** Every spec's key present with its number of values (callers that read files name the file first). */
function checkWeights(specs: readonly ParamSpec[], tensors: ReadonlyMap<string, Float32Array>, scope: string): void {
  for (const s of specs) {
    const data = tensors.get(s.name);
    if (data === undefined) throw new RangeError(`${scope}: missing tensor ${s.name}`);
    if (data.length !== s.size) throw new RangeError(`${scope}: tensor ${s.name} has ${data.length} values, expected ${s.size}`);
  }
}

export abstract class Network<Architecture> {
  readonly architecture: Architecture;
  /** Parameter specs in PyTorch state_dict order. */
  readonly specs: readonly ParamSpec[];
  /** Prefix of the tf.Variable names. */
  readonly scope: string;
  private readonly vars: ReadonlyMap<string, tf.Variable>;

  protected constructor(architecture: Architecture, specs: readonly ParamSpec[], options: NetworkOptions, kind: string) {
    const seed = options.seed ?? 0;
    const gain = options.initGain ?? 0.02;
    if (!(Number.isFinite(gain) && gain >= 0)) {
      throw new TypeError(`Expected a finite number >= 0 for initGain but received ${String(gain)}`);
    }
    this.architecture = architecture;
    this.specs = specs;
    this.scope = uniqueScope(options.name ?? kind);
    const random = new SeededRandom(seed);
    const vars = new Map<string, tf.Variable>();
    if (options.weights !== undefined) checkWeights(specs, options.weights, this.scope);
    for (const s of specs) {
      const data = options.weights?.get(s.name) ?? initialValues(s, random, gain);
      // The init is drawn in PyTorch layout so that a seed means the same weights in either framework's order.
      const value = tf.tensor(torchToTfLayout(s, data), [...s.tfShape], 'float32');
      const trainable = !isBufferSpec(s) && (options.trainable ?? true);
      vars.set(s.name, tf.variable(value, trainable, `${this.scope}/${s.name}`, 'float32'));
      value.dispose();
    }
    this.vars = vars;
  }

  /** Forward pass on NHWC float32 input; the result is a new tensor owned by the caller. */
  abstract apply(x: tf.Tensor4D): tf.Tensor4D;

  /** All trainable parameters (buffers such as BatchNorm running statistics excluded), in state_dict order. */
  variables(): tf.Variable[] {
    return this.specs.filter((s) => !isBufferSpec(s)).map((s) => this.vars.get(s.name)!);
  }

  /** [state_dict key, variable] pairs of the parameters (no buffers), in state_dict order. */
  namedVariables(): Array<[string, tf.Variable]> {
    return this.specs.filter((s) => !isBufferSpec(s)).map((s) => [s.name, this.vars.get(s.name)!]);
  }

  /** [state_dict key, variable] pairs of the buffers (BatchNorm running statistics), in state_dict order. */
  namedBuffers(): Array<[string, tf.Variable]> {
    return this.specs.filter(isBufferSpec).map((s) => [s.name, this.vars.get(s.name)!]);
  }

  /** The variable of one state_dict key (TF.js layout). */
  variable(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (v === undefined) throw new RangeError(`${this.scope} has no parameter ${JSON.stringify(name)}`);
    return v;
  }

  paramCount(): number {
    return countParams(this.specs);
  }

  /** The weights as a PyTorch state_dict (names, PyTorch shapes and layout), in state_dict order. */
  async stateDict(): Promise<StateDictTensor[]> {
    const out: StateDictTensor[] = [];
    for (const s of this.specs) {
      const data = (await this.variable(s.name).data()) as Float32Array;
      out.push({ name: s.name, shape: s.torchShape, data: tfToTorchLayout(s, data) });
    }
    return out;
  }

  /**
   * Replaces every weight from PyTorch-layout data. All keys must be present with the right size
   * (callers that read files check names and shapes first, to name the file in their errors).
   */
  loadStateDict(tensors: ReadonlyMap<string, Float32Array>): void {
    checkWeights(this.specs, tensors, this.scope);
    tf.tidy(() => {
      for (const s of this.specs) {
        this.variable(s.name).assign(tf.tensor(torchToTfLayout(s, tensors.get(s.name)!), [...s.tfShape], 'float32'));
      }
    });
  }

  /** Frees the variables (and their names in the TF.js registry). */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }

  protected weight(name: string): tf.Tensor4D {
    return this.variable(`${name}.weight`) as unknown as tf.Tensor4D;
  }

  protected bias(name: string): tf.Tensor1D {
    return this.variable(`${name}.bias`) as unknown as tf.Tensor1D;
  }
}
