// Bounded async queues joining the pipeline's stages: a producer waits while the queue is full, so
// memory is bounded by the queue depth, not by the dataset size.

export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private failure: unknown;
  private readonly waitingTakers: Array<() => void> = [];
  private readonly waitingPushers: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  private wake(list: Array<() => void>): void {
    for (const w of list.splice(0)) w();
  }

  /** Waits for room, then adds the item. Throws if the queue has failed. */
  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && this.failure === undefined) {
      await new Promise<void>((resolve) => this.waitingPushers.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new Error('push on a closed queue');
    this.items.push(item);
    this.wake(this.waitingTakers);
  }

  /** No more items will come. */
  close(): void {
    this.closed = true;
    this.wake(this.waitingTakers);
  }

  /** Another stage failed: wake everyone and make them throw. */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error ?? new Error('pipeline failed');
    this.wake(this.waitingTakers);
    this.wake(this.waitingPushers);
  }

  /** The next item, or undefined once the queue is closed and empty. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.items.length > 0) {
        const item = this.items.shift()!;
        this.wake(this.waitingPushers);
        return item;
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waitingTakers.push(resolve));
    }
  }

  /** Up to `max` items: waits for the first, then takes what is already there or arrives until full or closed. */
  async takeBatch(max: number): Promise<T[]> {
    const batch: T[] = [];
    while (batch.length < max) {
      const item = await this.take();
      if (item === undefined) break;
      batch.push(item);
    }
    return batch;
  }
}

/**
 * Runs stages concurrently; the first one to throw fails every queue so that the others stop
 * instead of waiting forever, and its error is rethrown.
 */
export async function runStages(queues: readonly BoundedQueue<unknown>[], stages: readonly (() => Promise<void>)[]): Promise<void> {
  let first: unknown;
  await Promise.all(stages.map(async (stage) => {
    try {
      await stage();
    } catch (error) {
      if (first === undefined) first = error;
      for (const q of queues) q.fail(error);
    }
  }));
  if (first !== undefined) throw first;
}
