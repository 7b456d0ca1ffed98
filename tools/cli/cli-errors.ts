import { CommanderError } from 'commander';
import { AdminNotFoundError, JobInFlightError, NatsUnreachableError } from '@lib/jetstream/admin';
import { DuplicateJobError, InvalidPayloadError } from '@lib/jetstream/errors';

/** Documented in `--help`, so scripts can tell a bad request from a missing thing from a broken system. */
export const ExitCode = { ok: 0, failure: 1, invalidInput: 2, notFound: 3 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: its message is shown as is, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failure,
  ) {
    super(message);
  }
}

/** Failures an operator causes or meets in normal use; anything else is a bug and keeps its stack. */
const ExpectedErrors: [new (...args: never[]) => Error, ExitCodeValue][] = [
  [InvalidPayloadError, ExitCode.invalidInput],
  [AdminNotFoundError, ExitCode.notFound],
  [NatsUnreachableError, ExitCode.failure],
  [JobInFlightError, ExitCode.failure],
  [DuplicateJobError, ExitCode.failure],
];

/** Prints the error the way an operator wants to read it and returns the process exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its usage message (or the help text, which exits with 0).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
  }
  if (error instanceof CliError) return fail(error.message, error.exitCode);
  const expected = ExpectedErrors.find(([type]) => error instanceof type);
  if (expected) return fail((error as Error).message, expected[1]);
  if (error instanceof Error && error.name === 'NatsError')
    return fail(describeNatsError(error), ExitCode.failure);
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`unexpected error: ${detail}\n`);
  return ExitCode.failure;
}

function fail(message: string, exitCode: ExitCodeValue): number {
  process.stderr.write(`error: ${message}\n`);
  return exitCode;
}

/** nats.js reports some failures by code alone ("TIMEOUT", "503"). */
function describeNatsError(error: Error & { code?: string }): string {
  if (error.code === 'TIMEOUT') return 'NATS did not answer in time (TIMEOUT)';
  if (error.code === '503')
    return 'no responders: no stream accepts that subject, or JetStream is unavailable';
  if (error.code === 'CONNECTION_CLOSED' || error.code === 'DISCONNECT') return 'lost the connection to NATS';
  return `NATS: ${error.message}`;
}
