import type { JetStreamClient } from 'nats';
import type { z } from 'zod';
import { contractFor, validatePayload, type ContractMap } from '@lib/contracts';
import { envelopeHeaders } from './envelope';
import type { JobStatusRecorder } from './lifecycle';
import { headersWithPrerequisites } from './lifecycle/prerequisites';
import { streamPublisher, type StreamPublish } from './stream-acks';
import { UniqueJobLocks } from './unique-job-locks';

export const UniqueLockHeader = 'Job-Unique-Lock';

export interface PublishOptions {
  /** Stable id for deduplication (defaults to a new UUID v7); reuse it when re-sending the same event. */
  id?: string;
  traceparent?: string;
  headers?: Record<string, string>;
  /** Ids of jobs this one waits for: it runs once all of them completed (docs/job-lifecycle.md). */
  prerequisites?: readonly string[];
}

export interface PublishResult {
  id: string;
  stream: string;
  seq: number;
  /** The stream already had this id within its duplicate window, so nothing new was stored. */
  duplicate: boolean;
  /** A uniqueness lock was held and the contract says to drop the newcomer: nothing was published. */
  dropped: boolean;
}

type Payload<C extends ContractMap, S extends keyof C> = z.input<C[S]['schema']>;

/** Validates against the contract, wraps in a CloudEvents envelope and waits for the stream's ack. */
export class JetStreamPublisher<C extends ContractMap = ContractMap> {
  private readonly publishToStream: StreamPublish;

  constructor(
    js: JetStreamClient,
    private readonly contracts: C,
    private readonly source: string,
    private readonly uniqueLocks?: UniqueJobLocks,
    /** When given, each new job of a subject that tracks its status is recorded as `enqueued`. */
    private readonly statuses?: JobStatusRecorder,
  ) {
    this.publishToStream = streamPublisher(js);
  }

  async publish<S extends keyof C & string>(
    subject: S,
    data: Payload<C, S>,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    const contract = contractFor(this.contracts, subject);
    const payload = validatePayload(contract, data);
    const { id, headers } = envelopeHeaders({
      id: options.id,
      subject,
      source: this.source,
      traceparent: options.traceparent,
      extraHeaders:
        options.prerequisites === undefined
          ? options.headers
          : headersWithPrerequisites(contract, options.prerequisites, options.headers),
    });
    const unique = contract.options.unique;
    let lockKey: string | null = null;
    if (unique) {
      if (!this.uniqueLocks)
        throw new Error(`${subject} has a uniqueness key but the publisher has no lock store`);
      lockKey = await this.uniqueLocks.acquire(
        subject,
        unique.key(payload),
        id,
        unique.ttlMs,
        unique.onConflict,
      );
      if (lockKey === null) return { id, stream: '', seq: 0, duplicate: false, dropped: true };
      headers.set(UniqueLockHeader, lockKey);
    }
    try {
      // Taken before sending: a worker may start the job before our ack arrives.
      const sentAt = Date.now();
      // The envelope carries `Nats-Msg-Id` already: passing `msgID` too would only set it a second time.
      const ack = await this.publishToStream(subject, JSON.stringify(payload), headers);
      if (this.statuses && !ack.duplicate && contract.options.trackStatus !== false)
        this.statuses.record({ id, subject, state: 'enqueued', at: sentAt, enqueuedAt: sentAt });
      return { id, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, dropped: false };
    } catch (error) {
      if (lockKey) await this.uniqueLocks!.release(lockKey, id).catch(() => undefined);
      if ((error as { code?: string }).code === '503') {
        throw new Error(`No stream stores ${subject} yet: start any service once, it creates the streams`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}
