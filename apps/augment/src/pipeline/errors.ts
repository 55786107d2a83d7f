// The pipeline's own error for a request it cannot carry out; a bad input file is a DatasetError
// (@nightshift/labels), a queue that cannot finish a QueueError. The pipeline knows no exit codes:
// the CLI maps each error to one (exit-codes.ts).

/**
 * A build request that cannot be carried out as asked: an output folder that holds something else or
 * is in use, shards that do not fit together, a model path or option value the pipeline cannot use.
 * The message says what to change.
 */
export class BuildRequestError extends Error {
  override readonly name = 'BuildRequestError';
}
