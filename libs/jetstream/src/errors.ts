/** The job can never succeed (bad reference, forbidden input): dead-letter it now, no retries. */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}

/** Try again after `delayMs` (e.g. an HTTP 429 with Retry-After) instead of the backoff schedule. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    readonly delayMs: number,
    message = `retry requested in ${delayMs} ms`,
  ) {
    super(message);
  }
}

/** The job is moot (its record is gone, the work was done elsewhere): acknowledge it and log why. */
export class DiscardError extends Error {
  override readonly name = 'DiscardError';
}

/** A job with the same uniqueness key is already pending and the contract says to reject the new one. */
export class DuplicateJobError extends Error {
  override readonly name = 'DuplicateJobError';
  constructor(
    readonly subject: string,
    readonly uniqueKey: string,
  ) {
    super(`A ${subject} job with key "${uniqueKey}" is already pending`);
  }
}

/** The attempt ran past the contract's `timeoutMs`; the handler's signal was aborted. */
export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`);
  }
}

export { InvalidPayloadError } from '@lib/contracts';
