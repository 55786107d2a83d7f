/** One problem with one input file: the file, for JSON the JSON pointer of the value, and what is wrong. */
export interface DatasetProblem {
  file: string;
  /** JSON pointer of the offending value, when the problem is inside a json file. */
  pointer?: string;
  reason: string;
}

/** `file at /pointer: reason`, or `file: reason`. */
export function formatProblem(p: DatasetProblem): string {
  return p.pointer !== undefined ? `${p.file} at ${p.pointer || '/'}: ${p.reason}` : `${p.file}: ${p.reason}`;
}

/**
 * A problem with one input file, thrown. The message always names the file, and for JSON the JSON
 * pointer of the offending value, so a user can go straight to it.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly file: string,
    readonly reason: string,
    readonly pointer?: string,
  ) {
    super(formatProblem({ file, reason, pointer }));
  }

  /** The same problem as a record, for lists of problems that do not stop at the first. */
  toProblem(): DatasetProblem {
    return this.pointer !== undefined ? { file: this.file, reason: this.reason, pointer: this.pointer } : { file: this.file, reason: this.reason };
  }
}
