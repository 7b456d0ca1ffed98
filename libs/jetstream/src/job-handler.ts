import type { JobContext } from './job-context';

/** A resolved handler of one subject, ready to call on the hot path. */
export interface JobHandler {
  /** Where it is defined, for error messages: `Class.method`. */
  readonly location: string;
  invoke(payload: unknown, ctx: JobContext): unknown;
  /** Called once after the last attempt failed and the message went to the dead-letter stream. */
  onExhausted?(payload: unknown, error: Error, ctx: JobContext): unknown;
}
