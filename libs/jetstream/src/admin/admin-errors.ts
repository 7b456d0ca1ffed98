import { NatsError } from 'nats';
import { Streams } from '../names';

const ProvisionedStreams = new Set<string>(Object.values(Streams).map((stream) => stream.name));

/**
 * The operator named something that is not there. Expected in day-to-day use (a seq already retried, a job
 * that already ran), so callers show the message rather than a stack trace.
 */
export class AdminNotFoundError extends Error {
  override readonly name: string = 'AdminNotFoundError';
}

export class StreamNotFoundError extends AdminNotFoundError {
  override readonly name: string = 'StreamNotFoundError';
  constructor(readonly stream: string) {
    const hint = ProvisionedStreams.has(stream)
      ? ' (no service has provisioned the streams on this server yet?)'
      : '';
    super(`Stream ${stream} does not exist${hint}`);
  }
}

export class DeadLetterNotFoundError extends AdminNotFoundError {
  override readonly name: string = 'DeadLetterNotFoundError';
  constructor(
    readonly stream: string,
    readonly seq: number,
  ) {
    super(`No dead letter with sequence ${seq} in ${stream} (already retried, deleted or expired?)`);
  }
}

export class JobNotQueuedError extends AdminNotFoundError {
  override readonly name: string = 'JobNotQueuedError';
  constructor(
    readonly stream: string,
    readonly seq: number,
  ) {
    super(
      `Job ${seq} is not queued in ${stream}: it has already run to completion, was dead-lettered or ` +
        'cancelled, or never existed',
    );
  }
}

/** Deleting a delivered job does not stop the attempt under way, so it takes an explicit `force`. */
export class JobInFlightError extends Error {
  override readonly name = 'JobInFlightError';
  constructor(
    readonly seq: number,
    readonly subject: string,
    readonly consumer: string,
  ) {
    super(
      `Job ${seq} (${subject}) has been delivered to ${consumer} and is running or waiting for a retry; ` +
        'cancel it with force to delete it anyway (an attempt already running is not stopped)',
    );
  }
}

export class NatsUnreachableError extends Error {
  override readonly name = 'NatsUnreachableError';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`Cannot reach NATS at ${url}: ${reason}`);
  }
}

const NoMessageFound = 10037;
const StreamStoreEof = 10057;
const StreamMissing = 10059;

/** A message API answered "no such message" (a seq past the end is reported as a store EOF). */
export function isMissingMessage(error: unknown): boolean {
  if (!(error instanceof NatsError)) return false;
  const code = error.api_error?.err_code;
  return code === NoMessageFound || code === StreamStoreEof || /no message found/i.test(error.message);
}

export function isMissingStream(error: unknown): boolean {
  return (
    error instanceof NatsError &&
    (error.api_error?.err_code === StreamMissing || /stream not found/i.test(error.message))
  );
}

/** Turns the server's terse "stream not found" into an error that names the stream. */
export function rethrowMissingStream(stream: string): (error: unknown) => never {
  return (error) => {
    if (isMissingStream(error)) throw new StreamNotFoundError(stream);
    throw error;
  };
}
