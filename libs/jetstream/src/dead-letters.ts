import type { JetStreamClient, JetStreamManager, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { headers as natsHeaders } from 'nats';
import {
  BatchIdHeader,
  CloudEventHeaders,
  DeadLetterHeaders,
  FirstFailureHeader,
  MsgIdHeader,
  type DeadLetterReason,
} from '@lib/contracts';
import { FirstFailures } from './first-failures';
import type { BatchMemberRecorder, JobStatusRecorder } from './lifecycle';
import { scrubSecrets } from './log-scrubbing';
import type { Logger } from 'pino';
import { deadLetterSubject, Streams } from './names';

const MaxHeaderValueLength = 4096;

export interface DeadLetter {
  subject: string;
  data: Uint8Array;
  headers?: MsgHdrs;
  stream: string;
  streamSeq: number;
  consumer: string;
  reason: DeadLetterReason;
  error: { message: string; stack?: string };
  attempts: number;
  enqueuedAt?: Date;
  /** ISO time of the first failed attempt, when known. */
  firstFailureAt?: string;
}

/** Moves failed messages to `dlq.<subject>`, keeping the original headers and body for a later retry. */
export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly service: string,
  ) {}

  async publish(letter: DeadLetter): Promise<void> {
    const h = natsHeaders();
    if (letter.headers) {
      for (const [name, values] of letter.headers) {
        if (name === MsgIdHeader || name.startsWith('Dlq-')) continue;
        for (const value of values) h.append(name, value);
      }
    }
    const now = new Date().toISOString();
    h.set(DeadLetterHeaders.reason, letter.reason);
    h.set(DeadLetterHeaders.error, headerSafe(letter.error.message));
    if (letter.error.stack) h.set(DeadLetterHeaders.stack, headerSafe(letter.error.stack));
    h.set(DeadLetterHeaders.attempts, String(letter.attempts));
    h.set(DeadLetterHeaders.service, this.service);
    h.set(DeadLetterHeaders.consumer, letter.consumer);
    h.set(DeadLetterHeaders.stream, letter.stream);
    h.set(DeadLetterHeaders.streamSeq, String(letter.streamSeq));
    h.set(DeadLetterHeaders.subject, letter.subject);
    if (letter.enqueuedAt) h.set(DeadLetterHeaders.enqueuedAt, letter.enqueuedAt.toISOString());
    h.set(DeadLetterHeaders.firstFailureAt, letter.firstFailureAt ?? now);
    h.set(DeadLetterHeaders.lastFailureAt, now);
    // Every replica hearing the same advisory, or a verdict racing the advisory, stores one dead letter.
    await this.js.publish(deadLetterSubject(letter.subject), letter.data, {
      msgID: `dlq:${letter.stream}:${letter.streamSeq}:${letter.consumer}`,
      headers: h,
    });
  }
}

/** NATS headers are single-line: keep newlines readable as `\n` and bound the size. */
export function headerSafe(text: string): string {
  const single = scrubSecrets(text)
    .replace(/\r?\n/g, '\\n')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
    .replace(/[\u0000-\u001f]/g, ' ');
  return single.length > MaxHeaderValueLength ? `${single.slice(0, MaxHeaderValueLength)}…` : single;
}

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

/**
 * The safety net for messages that died without a verdict from a handler (a worker crash loop): when the
 * server gives up after `max_deliver`, it announces the sequence; the message is copied to the DLQ and,
 * in the work queue, deleted (a work-queue message that reached max_deliver otherwise stays forever).
 */
export class MaxDeliveriesWatcher {
  private subscriptions: Subscription[] = [];
  /** Durables whose jobs are recorded in `job_statuses` (their contract does not opt out). */
  private readonly tracked = new Set<string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    private readonly firstFailures?: FirstFailures,
    /** Where a dead job's state goes (`dead` in `job_statuses`) and its batch counts it, as the runtime's own verdicts do. */
    private readonly finals: { statuses?: JobStatusRecorder; batches?: BatchMemberRecorder } = {},
  ) {}

  watch(stream: string, durable: string, trackStatus = false): void {
    if (trackStatus) this.tracked.add(durable);
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${durable}`;
    this.subscriptions.push(
      this.nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return;
          let advisory: MaxDeliveriesAdvisory;
          try {
            advisory = msg.json<MaxDeliveriesAdvisory>();
          } catch {
            return;
          }
          this.rescue(advisory).catch((failure: Error) =>
            this.logger.error(
              { err: failure, stream, consumer: durable, streamSeq: advisory.stream_seq },
              'could not move an exhausted message to the DLQ',
            ),
          );
        },
      }),
    );
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  private async rescue(advisory: MaxDeliveriesAdvisory): Promise<void> {
    const stored = await this.jsm.streams
      .getMessage(advisory.stream, { seq: advisory.stream_seq })
      .catch(() => null);
    if (!stored) return; // already acked or removed by another replica
    await this.deadLetters.publish({
      subject: stored.subject,
      data: stored.data,
      headers: stored.header,
      stream: advisory.stream,
      streamSeq: advisory.stream_seq,
      consumer: advisory.consumer,
      reason: 'max-deliveries',
      error: {
        message: `delivered ${advisory.deliveries} times without an acknowledgement (worker crash or hang)`,
      },
      attempts: advisory.deliveries,
      enqueuedAt: stored.time,
      firstFailureAt:
        stored.header?.get(FirstFailureHeader) ||
        (await this.firstFailures?.lookup(FirstFailures.key(advisory.consumer, advisory.stream_seq))),
    });
    await this.recordDeath(stored.subject, stored.header, advisory);
    if (advisory.stream === Streams.jobs.name) {
      await this.jsm.streams
        .deleteMessage(advisory.stream, advisory.stream_seq, false)
        .catch(() => undefined);
    }
    this.logger.error(
      { subject: stored.subject, streamSeq: advisory.stream_seq, consumer: advisory.consumer },
      'message exhausted its deliveries without a verdict; moved to the DLQ',
    );
  }

  /** Before the work-queue copy is deleted: a replica failing here leaves it for another replica's advisory. */
  private async recordDeath(
    subject: string,
    headers: MsgHdrs | undefined,
    advisory: MaxDeliveriesAdvisory,
  ): Promise<void> {
    const jobId = headers?.get(CloudEventHeaders.id) || `${advisory.stream}:${advisory.stream_seq}`;
    const error = `delivered ${advisory.deliveries} times without an acknowledgement (worker crash or hang)`;
    const batchId = headers?.get(BatchIdHeader);
    if (batchId && this.finals.batches)
      await this.finals.batches.recordFinal({ batchId, jobId, subject, state: 'dead', error });
    if (this.finals.statuses && this.tracked.has(advisory.consumer)) {
      const now = Date.now();
      this.finals.statuses.record({
        id: jobId,
        subject,
        state: 'dead',
        at: now,
        attempt: advisory.deliveries,
        finishedAt: now,
        lastError: error,
      });
    }
  }
}
