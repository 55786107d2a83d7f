// The exit codes of every nightshift command, documented in the README, and which error gets which.
import { DatasetError } from '@nightshift/labels';
import { BuildRequestError } from './pipeline/errors.ts';
import { QueueError } from './pipeline/distributed/unit-queue.ts';
import { UsageError } from './usage-error.ts';

export const EXIT = Object.freeze({
  /** Done, nothing skipped. */
  ok: 0,
  /** Stopped by an error: a bad dataset, checkpoint or file (named on stderr), or --on-error fail. */
  error: 1,
  /** The command line is wrong (the message says what to change). */
  usage: 2,
  /** Done, but some samples were skipped; summary.json and manifest.jsonl name each file and problem. */
  skipped: 3,
});

/**
 * The exit code of an error the user can act on: a command line or build request that cannot be
 * carried out (2); a bad dataset, checkpoint or file, a queue that could not finish, a full disk (1).
 * undefined for anything else (a bug: it escapes with its stack).
 */
export function exitCodeOf(error: unknown): number | undefined {
  if (error instanceof UsageError || error instanceof BuildRequestError) return EXIT.usage;
  if (error instanceof DatasetError || error instanceof QueueError) return EXIT.error;
  const { code } = error as NodeJS.ErrnoException;
  if (code === 'ENOSPC' || code === 'EDQUOT') return EXIT.error;
  return undefined;
}
