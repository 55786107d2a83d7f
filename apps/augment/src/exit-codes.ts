// The exit codes of every nightshift command, documented in the README.
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
