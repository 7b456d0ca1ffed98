import type { JetStreamManager } from 'nats';
import { CloudEventHeaders } from '@lib/contracts';
import { KvBuckets, Streams } from '../names';
import { UniqueLockHeader } from '../publisher';
import { UniqueJobLocks } from '../unique-job-locks';
import {
  isMissingMessage,
  isMissingStream,
  JobInFlightError,
  JobNotQueuedError,
  rethrowMissingStream,
} from './admin-errors';
import { headerValue } from './message-view';

export interface CancelOptions {
  /** Delete the job even when a worker has it: that attempt still finishes, but no retry follows. */
  force?: boolean;
}

export interface CancelledJob {
  seq: number;
  subject: string;
  id: string | null;
  enqueuedAt: string;
  /** The job's uniqueness lock was released (if it still held it), so the same job can be enqueued again. */
  releasedUniqueLock: boolean;
}

/** Operator actions on the JOBS work queue. */
export class JobAdmin {
  private readonly stream = Streams.jobs.name;

  constructor(private readonly jsm: JetStreamManager) {}

  /**
   * Removes a queued job by its JOBS sequence. A job that already ran is gone from the work queue, hence
   * JobNotQueuedError; one a worker holds right now is refused unless forced (JobInFlightError).
   */
  async cancel(seq: number, options: CancelOptions = {}): Promise<CancelledJob> {
    const stored = await this.jsm.streams.getMessage(this.stream, { seq }).catch((error: unknown) => {
      if (isMissingStream(error)) return rethrowMissingStream(this.stream)(error);
      if (isMissingMessage(error)) throw new JobNotQueuedError(this.stream, seq);
      throw error;
    });
    if (!options.force) {
      const holder = await this.consumerHolding(stored.subject, seq);
      if (holder) throw new JobInFlightError(seq, stored.subject, holder);
    }
    await this.jsm.streams.deleteMessage(this.stream, seq, false).catch((error: unknown) => {
      // Acknowledged between our look and our delete: it ran after all.
      if (isMissingMessage(error)) throw new JobNotQueuedError(this.stream, seq);
      throw error;
    });
    const id = headerValue(stored.header, CloudEventHeaders.id) ?? null;
    const lockKey = headerValue(stored.header, UniqueLockHeader);
    const releasedUniqueLock = lockKey !== undefined && id !== null && (await this.releaseLock(lockKey, id));
    return { seq, subject: stored.subject, id, enqueuedAt: stored.time.toISOString(), releasedUniqueLock };
  }

  /**
   * A work-queue message still in the stream is unacknowledged; if a consumer has delivered past it, that
   * consumer holds it (running, or waiting out a retry backoff).
   */
  private async consumerHolding(subject: string, seq: number): Promise<string | null> {
    for await (const info of this.jsm.consumers.list(this.stream)) {
      const filters = info.config.filter_subject
        ? [info.config.filter_subject]
        : (info.config.filter_subjects ?? []);
      const sees = filters.length === 0 || filters.some((filter) => subjectMatches(filter, subject));
      if (sees && info.delivered.stream_seq >= seq && info.ack_floor.stream_seq < seq) return info.name;
    }
    return null;
  }

  /** Without this, the uniqueness key would refuse the job until the lock's TTL ran out. */
  private async releaseLock(lockKey: string, jobId: string): Promise<boolean> {
    try {
      const kv = await this.jsm.jetstream().views.kv(KvBuckets.uniqueJobs, { bindOnly: true });
      await new UniqueJobLocks(kv).release(lockKey, jobId);
      return true;
    } catch {
      return false; // The lock expires by itself; a failed release must not turn a done cancel into an error.
    }
  }
}

/** NATS subject matching: `*` is one token, a trailing `>` one or more. */
export function subjectMatches(filter: string, subject: string): boolean {
  const filterTokens = filter.split('.');
  const subjectTokens = subject.split('.');
  for (let i = 0; i < filterTokens.length; i++) {
    const token = filterTokens[i];
    if (token === '>') return subjectTokens.length > i;
    if (i >= subjectTokens.length || (token !== '*' && token !== subjectTokens[i])) return false;
  }
  return filterTokens.length === subjectTokens.length;
}
