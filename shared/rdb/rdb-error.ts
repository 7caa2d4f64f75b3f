/**
 * The one error type of the RDB code: truncated input, bad magic or version, checksum mismatches, unknown or
 * unsupported value types and corrupt encodings all surface as an RdbError, so a loader can catch exactly
 * these and report the message.
 */
export class RdbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RdbError';
  }
}
