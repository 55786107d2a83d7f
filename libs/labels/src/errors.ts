/**
 * A problem with one input file. The message always names the file, and for JSON the JSON pointer
 * of the offending value, so a user can go straight to it.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly file: string,
    readonly reason: string,
    readonly pointer?: string,
  ) {
    super(pointer !== undefined ? `${file} at ${pointer || '/'}: ${reason}` : `${file}: ${reason}`);
  }
}
