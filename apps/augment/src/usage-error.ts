/** A mistake in how nightshift was called (bad option value, output inside input, ...). Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
