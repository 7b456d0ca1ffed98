import type { JetStreamClient, JsMsg, KV, KvEntry } from 'nats';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { BatchIdHeader, CloudEventHeaders } from '@lib/contracts';
import { subjectMatches } from '../admin/job-admin';
import { headerValue, jobIdOf } from '../envelope';
import { DiscardError } from '../errors';
import { KvBuckets, Streams } from '../names';
import type { BatchMemberRecorder } from './job-batches';

/** How long a cancellation mark waits for its job to be delivered (matches the status retention). */
const MarkTtlMs = 7 * 24 * 3600_000;
const BatchMarkPrefix = 'batch.';

/**
 * The outcome of a cancelled job: acked without a retry, status `cancelled`, counted as `cancelled` in its
 * batch. A handler sees it as the reason of its aborted `ctx.signal`.
 */
export class JobCancelledError extends DiscardError {
  /** Cancelled on purpose: `cancelled: true` tells it apart from other discards in logs. */
  readonly cancelled = true;
}

export type CancelResult =
  /** Removed before it reached the queue (delayed, a retry waiting in the outbox, or held for prerequisites). */
  | { id: string; outcome: 'cancelled'; was: string }
  /**
   * Marked: every runtime drops it at delivery, or aborts its `ctx.signal` if it is running; its status becomes
   * `cancelled` then (a handler that ignores the signal and returns completes it after all).
   */
  | { id: string; outcome: 'cancelling'; was: string }
  | { id: string; outcome: 'already-final'; state: string }
  | { id: string; outcome: 'unknown' };

/** A cancel as every runtime receives it: one job, or every member of a batch. */
export type CancellationMark = { jobId: string; batchId?: never } | { batchId: string; jobId?: never };

export interface BatchCancelResult {
  batchId: string;
  /** Members removed from the outbox before they were queued. */
  removed: number;
  /** Whether members already queued or running are being cancelled by a mark. */
  marked: boolean;
  /** The batch had finished already: nothing changed. */
  finished: boolean;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`: ids with other characters are hex-encoded. */
export function cancellationKey(jobId: string): string {
  return /^[-_=a-zA-Z0-9]+$/.test(jobId) ? jobId : `x.${Buffer.from(jobId, 'utf8').toString('hex')}`;
}

function idOfKey(key: string): string {
  return key.startsWith('x.') ? Buffer.from(key.slice(2), 'hex').toString('utf8') : key;
}

export function batchCancellationKey(batchId: string): string {
  return `${BatchMarkPrefix}${cancellationKey(batchId)}`;
}

/** The bucket of cancellation marks, created by the first runtime or canceller that needs it. */
export function openCancellationBucket(js: JetStreamClient, replicas = 1): Promise<KV> {
  return js.views.kv(KvBuckets.jobCancellations, { history: 1, replicas, ttl: MarkTtlMs });
}

/**
 * A runtime's copy of the cancellation marks, kept in sync by a KV watch. The runtime looks a delivered job up
 * only while `ids` or `batches` is not empty, and looks through its running jobs only when a mark arrives.
 */
export class CancellationMarks {
  /** Cancelled job ids (and batch ids), with when each was marked. */
  readonly ids = new Map<string, number>();
  readonly batches = new Map<string, number>();
  /** Whether any mark exists: the one test a delivery pays while there is none. */
  any = false;
  private stopped = false;
  private stopWatch?: () => void;
  private pruneTimer?: NodeJS.Timeout;

  private constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the marks already stored are loaded, so that no cancelled job slips through at start. */
  static async watch(
    kv: KV,
    onMark: (mark: CancellationMark) => void,
    logger: Logger,
  ): Promise<CancellationMarks> {
    const marks = new CancellationMarks(kv, logger);
    let initialized!: () => void;
    const loaded = new Promise<void>((resolve) => (initialized = resolve));
    const watch = await kv.watch({ initializedFn: () => initialized() });
    marks.stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) marks.apply(entry, onMark);
    })().catch((error: Error) => {
      if (!marks.stopped) logger.error({ err: error }, 'cancellation watch ended; cancels are not honoured');
    });
    await loaded;
    // The bucket's TTL removes old marks without telling watchers: forget them here too.
    marks.pruneTimer = setInterval(() => marks.prune(Date.now() - MarkTtlMs), 3600_000);
    marks.pruneTimer.unref();
    return marks;
  }

  /** The mark did its work (the job was dropped or aborted here): other runtimes can stop looking for it. */
  honour(jobId: string): void {
    this.ids.delete(jobId);
    this.any = this.ids.size !== 0 || this.batches.size !== 0;
    this.kv.delete(cancellationKey(jobId)).catch((error: Error) => {
      this.logger.warn({ err: error, jobId }, 'could not remove a cancellation mark; it expires by itself');
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.pruneTimer);
    this.stopWatch?.();
  }

  prune(markedBefore: number): void {
    for (const marks of [this.ids, this.batches])
      for (const [id, markedAt] of marks) if (markedAt < markedBefore) marks.delete(id);
    this.any = this.ids.size !== 0 || this.batches.size !== 0;
  }

  /** Whether the delivered job, or its batch, was cancelled. */
  covers(msg: JsMsg): boolean {
    if (this.ids.size !== 0 && this.ids.has(jobIdOf(msg))) return true;
    if (this.batches.size === 0) return false;
    const batchId = headerValue(msg, BatchIdHeader);
    return batchId !== undefined && this.batches.has(batchId);
  }

  private apply(entry: KvEntry, onMark: (mark: CancellationMark) => void): void {
    const isBatch = entry.key.startsWith(BatchMarkPrefix);
    const id = idOfKey(isBatch ? entry.key.slice(BatchMarkPrefix.length) : entry.key);
    const set = isBatch ? this.batches : this.ids;
    if (entry.operation !== 'PUT') {
      set.delete(id);
      this.any = this.ids.size !== 0 || this.batches.size !== 0;
      return;
    }
    set.set(id, entry.created.getTime());
    this.any = true;
    onMark(isBatch ? { batchId: id } : { jobId: id });
  }
}

interface OutboxMember {
  id: string;
  subject: string;
  headers: Record<string, string>;
}

/**
 * Cancels a job by its id wherever it is: a row in the outbox (delayed, a retry waiting there, or held for its
 * prerequisites) is deleted and its status set to `cancelled` at once; a job in the stream or running is
 * marked, and the runtimes drop it at delivery or abort its `ctx.signal`. A job in a final state is left alone.
 */
export class JobCancellation {
  private kv?: Promise<KV>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly js: JetStreamClient,
    /** Counts cancelled batch members that never reached a runtime, so their batch can finish. */
    private readonly batches?: BatchMemberRecorder,
    private readonly replicas = 1,
  ) {}

  /**
   * `streamSequence` (the `seq` publish returned) lets a queued job be deleted from the stream at once, status
   * `cancelled`; without it, or when a worker already holds the message, the mark does the work.
   */
  async cancel(jobId: string, options: { streamSequence?: number } = {}): Promise<CancelResult> {
    const seq = options.streamSequence;
    const [status] = (await this.dataSource.query(`SELECT state FROM job_statuses WHERE id = $1`, [
      jobId,
    ])) as { state: string }[];
    if (status && ['completed', 'failed', 'dead', 'cancelled'].includes(status.state))
      return { id: jobId, outcome: 'already-final', state: status.state };
    const removed = await this.removeFromOutbox(`headers->>'${CloudEventHeaders.id}' = $1`, [jobId]);
    if (removed.length > 0) return { id: jobId, outcome: 'cancelled', was: status?.state ?? 'scheduled' };
    if (!status) {
      // A job of a subject without status tracking can still be deleted from the stream by its sequence.
      const deleted = seq !== undefined && (await this.deleteQueued(jobId, seq));
      return deleted
        ? { id: jobId, outcome: 'cancelled', was: 'enqueued' }
        : { id: jobId, outcome: 'unknown' };
    }
    // Marked first: a delivery that starts while we delete the message is then dropped.
    await this.mark(cancellationKey(jobId));
    if (seq !== undefined && (await this.deleteQueued(jobId, seq))) {
      await (await this.kv!).delete(cancellationKey(jobId));
      return { id: jobId, outcome: 'cancelled', was: status.state };
    }
    return { id: jobId, outcome: 'cancelling', was: status.state };
  }

  /**
   * Deletes the job's message if it is still in the stream and no consumer has delivered it (a delivered one may
   * be running: the mark aborts it).
   */
  private async deleteQueued(jobId: string, seq: number): Promise<boolean> {
    const jsm = await this.js.jetstreamManager(false);
    const stored = await jsm.streams.getMessage(Streams.jobs.name, { seq }).catch(() => null);
    if (!stored || stored.header.get(CloudEventHeaders.id) !== jobId) return false;
    for await (const consumer of jsm.consumers.list(Streams.jobs.name)) {
      const delivered = consumer.delivered.stream_seq >= seq && consumer.ack_floor.stream_seq < seq;
      const filters = [consumer.config.filter_subject ?? '>', ...(consumer.config.filter_subjects ?? [])];
      const sees = filters.some((filter) => subjectMatches(filter, stored.subject));
      if (sees && delivered) return false;
    }
    if (!(await jsm.streams.deleteMessage(Streams.jobs.name, seq, false).catch(() => false))) return false;
    await this.dataSource.query(
      `UPDATE job_statuses SET state = 'cancelled', finished_at = now(), last_error = $2, updated_at = now()
       WHERE id = $1`,
      [jobId, 'cancelled before it started'],
    );
    const batchId = stored.header.get(BatchIdHeader);
    if (batchId && this.batches)
      await this.batches.recordFinal({
        batchId,
        jobId,
        subject: stored.subject,
        state: 'cancelled',
        error: 'cancelled before it started',
      });
    return true;
  }

  /**
   * Cancels every member of a batch that has not reached a final state: those still in the outbox are removed
   * and counted as `cancelled`; those queued or running are marked like single jobs. The batch then finishes
   * as its members do, with the cancelled ones among its failures.
   */
  async cancelBatch(batchId: string): Promise<BatchCancelResult | null> {
    const [batch] = (await this.dataSource.query(`SELECT finished_at FROM job_batches WHERE id = $1`, [
      batchId,
    ])) as { finished_at: Date | null }[];
    if (!batch) return null;
    if (batch.finished_at) return { batchId, removed: 0, marked: false, finished: true };
    // Marked first: a member the relay publishes while we delete the others is then dropped at delivery.
    await this.mark(batchCancellationKey(batchId));
    const removed = await this.removeFromOutbox(`headers->>'${BatchIdHeader}' = $1`, [batchId]);
    return { batchId, removed: removed.length, marked: true, finished: false };
  }

  private async removeFromOutbox(condition: string, values: unknown[]): Promise<OutboxMember[]> {
    const removed = await this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `DELETE FROM outbox_messages WHERE ${condition} RETURNING id, subject, headers`,
        values,
      )) as [OutboxMember[], number];
      const members = rows[0];
      if (members.length === 0) return members;
      const ids = members.map((row) => row.headers[CloudEventHeaders.id] ?? row.id);
      await manager.query(`DELETE FROM job_prerequisite_waits WHERE job_id = ANY($1)`, [ids]);
      await manager.query(
        `INSERT INTO job_statuses (id, subject, state, finished_at, last_error, updated_at)
         SELECT id, subject, 'cancelled', now(), 'cancelled before it was queued', now()
         FROM unnest($1::text[], $2::text[]) AS j(id, subject)
         ON CONFLICT (id) DO UPDATE SET state = 'cancelled', finished_at = now(),
           last_error = EXCLUDED.last_error, next_attempt_at = NULL, updated_at = now()`,
        [ids, members.map((row) => row.subject)],
      );
      return members;
    });
    for (const member of removed) {
      const batchId = member.headers[BatchIdHeader];
      if (batchId && this.batches)
        await this.batches.recordFinal({
          batchId,
          jobId: member.headers[CloudEventHeaders.id] ?? member.id,
          subject: member.subject,
          state: 'cancelled',
          error: 'cancelled before it was queued',
        });
    }
    return removed;
  }

  private async mark(key: string): Promise<void> {
    this.kv ??= openCancellationBucket(this.js, this.replicas);
    await (await this.kv).put(key, new Date().toISOString());
  }
}
