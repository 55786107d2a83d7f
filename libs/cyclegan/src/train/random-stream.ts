/**
 * A seeded random stream whose state is two integers (seed, draws), so a trainer can save it and
 * resume it exactly. Restoring replays the draws; even a long run takes only a few million steps
 * of the generator (milliseconds).
 */
import { SeededRandom } from '../random.ts';

export interface RandomStreamState {
  readonly seed: number;
  /** Uniform numbers drawn so far. */
  readonly draws: number;
}

export class RandomStream {
  private readonly rng: SeededRandom;
  private drawCount = 0;

  constructor(readonly seed: number) {
    this.rng = new SeededRandom(seed);
  }

  static restore(state: RandomStreamState): RandomStream {
    if (!Number.isSafeInteger(state.draws) || state.draws < 0) {
      throw new RangeError(`Expected a non-negative integer draw count but received ${String(state.draws)}`);
    }
    const stream = new RandomStream(state.seed);
    for (let i = 0; i < state.draws; i++) stream.rng.nextFloat();
    stream.drawCount = state.draws;
    return stream;
  }

  state(): RandomStreamState {
    return { seed: this.seed, draws: this.drawCount };
  }

  /** Uniform in [0, 1) (Python `random.random()` / `random.uniform(0, 1)`). */
  float(): number {
    this.drawCount++;
    return this.rng.nextFloat();
  }

  /** Uniform integer in [lo, hi], both inclusive (Python `random.randint`). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new RangeError(`Expected integers lo <= hi but received ${lo}, ${hi}`);
    }
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** A Fisher-Yates permutation of 0..n-1 (the shuffling DataLoader's epoch order). */
  permutation(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }
}
