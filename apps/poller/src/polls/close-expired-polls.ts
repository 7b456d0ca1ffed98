import type { DataSource, EntityManager } from 'typeorm';
import type { Outbox } from '@lib/db';
import { eachConcurrently } from './each-concurrently';
import { appendThreadEvent } from './thread-events';
import { recomputePollCounts } from './poll-counts';

export interface ClosePollsSettings {
  batchSize: number;
  /** Polls closed at once, each in its own transaction (and pooled connection). */
  parallelism: number;
  keepAnonymousParticipants: boolean;
}

export interface ClosePollsReport {
  closed: number;
  skipped: number;
  failed: { pollId: number; error: string }[];
}

interface ExpiredPoll {
  id: number;
  closing_at: Date;
}

interface LockedPoll {
  id: number;
  author_id: number;
  discussion_id: number | null;
  anonymous: boolean;
  hide_results: 'off' | 'until_vote' | 'until_closed';
}

/**
 * Closes every poll whose closing time has passed, reading them in keyset-paginated batches and closing
 * each in its own transaction, so a backlog of 50k polls holds no long transaction and no big list.
 */
export class ExpiredPollCloser {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly settings: ClosePollsSettings,
  ) {}

  async closeAll(now: Date, onProgress: () => void = () => undefined): Promise<ClosePollsReport> {
    const report: ClosePollsReport = { closed: 0, skipped: 0, failed: [] };
    let after: { closingAt: Date; id: number } = { closingAt: new Date(0), id: 0 };
    for (;;) {
      const batch = (await this.dataSource.query(
        `SELECT id, closing_at FROM polls
         WHERE closing_at <= $1 AND closed_at IS NULL AND discarded_at IS NULL
           AND (closing_at, id) > ($2, $3)
         ORDER BY closing_at, id LIMIT $4`,
        [now, after.closingAt, after.id, this.settings.batchSize],
      )) as ExpiredPoll[];
      await eachConcurrently(batch, this.settings.parallelism, async (poll) => {
        try {
          if (await this.closeOne(Number(poll.id), now)) report.closed++;
          else report.skipped++;
        } catch (error) {
          report.failed.push({ pollId: Number(poll.id), error: (error as Error).message });
        }
      });
      onProgress();
      if (batch.length < this.settings.batchSize) return report;
      const last = batch[batch.length - 1];
      after = { closingAt: last.closing_at, id: Number(last.id) };
    }
  }

  /** Closes one poll if it is still open and due; false when another worker (or a person) was first. */
  async closeOne(pollId: number, now: Date): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [poll] = (await manager.query(
        `SELECT id, author_id, discussion_id, anonymous, hide_results FROM polls
         WHERE id = $1 AND closed_at IS NULL AND discarded_at IS NULL AND closing_at <= $2
         FOR UPDATE`,
        [pollId, now],
      )) as LockedPoll[];
      if (!poll) return false;
      await manager.query(`UPDATE polls SET closed_at = $2 WHERE id = $1`, [pollId, now]);
      if (poll.anonymous && !this.settings.keepAnonymousParticipants)
        await unlinkParticipants(manager, pollId);
      if (poll.hide_results === 'until_closed' && poll.discussion_id !== null) {
        await revealHiddenStances(manager, pollId, Number(poll.discussion_id));
      }
      await recomputePollCounts(manager, pollId);
      const discussionId = poll.discussion_id === null ? null : Number(poll.discussion_id);
      await appendThreadEvent(manager, {
        kind: 'poll_expired',
        eventableType: 'Poll',
        eventableId: pollId,
        userId: Number(poll.author_id),
        discussionId,
      });
      await this.outbox.publish(manager, 'events.poll.closed', {
        pollId,
        reason: 'expired',
        closedAt: now.toISOString(),
      });
      return true;
    });
  }
}

/** Anonymous votes stop pointing at their voters once the poll is closed, in stances and their events. */
async function unlinkParticipants(manager: EntityManager, pollId: number): Promise<void> {
  await manager.query(
    `UPDATE events SET user_id = NULL
     WHERE eventable_type = 'Stance' AND eventable_id IN (SELECT id FROM stances WHERE poll_id = $1)`,
    [pollId],
  );
  await manager.query(`UPDATE stances SET participant_id = NULL WHERE poll_id = $1`, [pollId]);
}

/**
 * With results hidden until closing, votes stayed out of the thread; now their events join it, in the order
 * they were cast, with the next sequence ids (existing ids are never renumbered).
 */
async function revealHiddenStances(
  manager: EntityManager,
  pollId: number,
  discussionId: number,
): Promise<void> {
  await manager.query(`SELECT id FROM discussions WHERE id = $1 FOR UPDATE`, [discussionId]);
  await manager.query(
    `WITH base AS (SELECT COALESCE(max(sequence_id), 0) AS top FROM events WHERE discussion_id = $2),
          hidden AS (
            SELECT e.id, row_number() OVER (ORDER BY e.created_at, e.id) AS n
            FROM events e JOIN stances s ON s.id = e.eventable_id
            WHERE e.eventable_type = 'Stance' AND e.kind = 'stance_created'
              AND s.poll_id = $1 AND s.latest AND e.discussion_id IS NULL)
     UPDATE events e SET discussion_id = $2, sequence_id = base.top + hidden.n
     FROM hidden, base WHERE e.id = hidden.id`,
    [pollId, discussionId],
  );
}
