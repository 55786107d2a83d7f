/**
 * Learning-rate policy `linear` (junyanz models/networks.py get_scheduler): constant for n_epochs,
 * then linear decay towards zero over n_epochs_decay. Stepped once per epoch.
 */

export interface LinearScheduleOptions {
  readonly nEpochs: number;
  readonly nEpochsDecay: number;
  /** The first epoch's number (reference `--epoch_count`, 1 for a fresh run). */
  readonly epochCount: number;
}

/**
 * The reference's lambda_rule: `schedulerEpoch` counts scheduler steps taken so far (0 during the
 * first epoch of this run).
 */
export function linearLrMultiplier(schedulerEpoch: number, o: LinearScheduleOptions): number {
  return 1 - Math.max(0, schedulerEpoch + o.epochCount - o.nEpochs) / (o.nEpochsDecay + 1);
}

/** The multiplier in effect during training epoch `epoch` (numbered from `epochCount`). */
export function lrMultiplierForEpoch(epoch: number, o: LinearScheduleOptions): number {
  return linearLrMultiplier(epoch - o.epochCount, o);
}

/** Last epoch number of the run: epochs epochCount .. nEpochs + nEpochsDecay (reference train.py). */
export function lastEpoch(o: LinearScheduleOptions): number {
  return o.nEpochs + o.nEpochsDecay;
}
