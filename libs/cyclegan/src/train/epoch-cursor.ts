/**
 * Where a batch source stands: the epoch, the position in this epoch's shuffled order, and the random
 * stream that draws the per-sample choices and the next epoch's order (DataLoader shuffle=True,
 * drop_last=False). Its state is what a resumed run restores.
 */
import { RandomStream, type RandomStreamState } from './random-stream.ts';

export interface EpochCursorState {
  readonly epoch: number;
  /** Samples of the current epoch's order already handed out. */
  readonly position: number;
  readonly order: readonly number[];
  readonly random: RandomStreamState;
}

/** One batch's picks and where it stands in its epoch. */
export interface CursorBatch<T> {
  readonly picks: T[];
  readonly epoch: number;
  /** 0-based index of this batch within its epoch. */
  readonly indexInEpoch: number;
  readonly isLastOfEpoch: boolean;
}

export class EpochCursor {
  private epoch: number;
  private position = 0;
  private order: number[];

  constructor(
    /** Samples per epoch. */
    readonly size: number,
    readonly batchSize: number,
    firstEpoch: number,
    private random: RandomStream,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Expected a positive integer batch size but received ${String(batchSize)}`);
    }
    this.epoch = firstEpoch;
    this.order = random.permutation(size);
  }

  /** Batches per epoch; the last one may be short. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  state(): EpochCursorState {
    return { epoch: this.epoch, position: this.position, order: this.order.slice(), random: this.random.state() };
  }

  /** `mismatch` words the error for a saved order of another length. */
  restore(state: EpochCursorState, mismatch: (savedSize: number) => string): void {
    if (state.order.length !== this.size) throw new RangeError(mismatch(state.order.length));
    this.epoch = state.epoch;
    this.position = state.position;
    this.order = state.order.slice();
    this.random = RandomStream.restore(state.random);
  }

  /** The next batch: `pick` is called per sample, in order, with its index into the source. */
  take<T>(pick: (index: number, random: RandomStream) => T): CursorBatch<T> {
    const epoch = this.epoch;
    const indexInEpoch = Math.floor(this.position / this.batchSize);
    const count = Math.min(this.batchSize, this.size - this.position);
    const picks: T[] = [];
    for (let i = 0; i < count; i++) picks.push(pick(this.order[this.position + i], this.random));
    this.position += count;
    const isLastOfEpoch = this.position >= this.size;
    if (isLastOfEpoch) {
      this.epoch++;
      this.position = 0;
      this.order = this.random.permutation(this.size);
    }
    return { picks, epoch, indexInEpoch, isLastOfEpoch };
  }
}
