import type { JsMsg } from 'nats';
import { TraceParentHeader } from '@lib/contracts';
import { deliveryAttemptOf, headerValue, jobIdOf } from './envelope';

/** @internal */
export interface LimitedJob {
  /** Deliveries this message spent waiting for its budget: they are not attempts. */
  deferredDeliveries: number;
  pause(ms: number, reason?: string): Promise<Date>;
  /** This attempt paused its key: a RetryLaterError it throws then waits like a throttled job. */
  paused: boolean;
}

/** What a handler knows about the delivery it is running; everything costly is computed on first use. */
export class JobContext {
  private abortController?: AbortController;
  private knownAttempt = 0;
  private knownJobId?: string;
  /** @internal Set by the runtime for jobs of subjects with `rateLimit` or `concurrencyPerKey` only. */
  limited?: LimitedJob;

  constructor(
    private readonly msg: JsMsg,
    readonly subject: string,
    /** The durable consumer delivering it: the natural key for the inbox (`Inbox.once(ctx.consumer, ctx.jobId)`). */
    readonly consumer: string,
    readonly maxAttempts: number,
  ) {}

  /**
   * 1-based; counts every delivery, crashes and retries through the outbox included. Worked out on first
   * use: it needs the reply subject parsed, which a no-op job that succeeds never pays for.
   */
  get attempt(): number {
    if (this.knownAttempt === 0)
      this.knownAttempt = deliveryAttemptOf(this.msg) - (this.limited?.deferredDeliveries ?? 0);
    return this.knownAttempt;
  }

  /** Read once: the runtime asks for it at the start and the end of a tracked job. */
  get jobId(): string {
    return (this.knownJobId ??= jobIdOf(this.msg));
  }

  get streamSequence(): number {
    return this.msg.seq;
  }

  get traceparent(): string | undefined {
    return this.header(TraceParentHeader);
  }

  get isLastAttempt(): boolean {
    return this.attempt >= this.maxAttempts;
  }

  header(name: string): string | undefined {
    return headerValue(this.msg, name);
  }

  get headers(): Record<string, string> {
    const result: Record<string, string> = {};
    const h = this.msg.headers;
    if (h) for (const [name, values] of h) result[name] = values.join(', ');
    return result;
  }

  /** Aborted when the job's timeout passes or the worker shuts down past its grace period. */
  get signal(): AbortSignal {
    return this.controller().signal;
  }

  /** Tells the server the job is still running, so it is not handed to another worker. */
  working(): void {
    this.msg.working();
  }

  /**
   * Pauses this job's rate-limit key (its `concurrencyPerKey` key when it has no `rateLimit`) for every worker
   * of every replica, e.g. on HTTP 429 with Retry-After. Jobs of the key wait, unspent, until the pause ends; a
   * `RetryLaterError` thrown after it makes this job wait the same way instead of spending an attempt.
   */
  async pauseKey(ms: number, reason?: string): Promise<Date> {
    if (!this.limited)
      throw new Error(`${this.subject} has no rateLimit or concurrencyPerKey: no key to pause`);
    const until = await this.limited.pause(ms, reason);
    this.limited.paused = true;
    return until;
  }

  /** @internal used by the runtime to abort the attempt. */
  abort(reason: Error): void {
    this.controller().abort(reason);
  }

  /** @internal */
  get aborted(): boolean {
    return this.abortController?.signal.aborted ?? false;
  }

  private controller(): AbortController {
    return (this.abortController ??= new AbortController());
  }
}
