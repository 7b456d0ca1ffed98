import type { DataSource } from 'typeorm';
import type { Outbox } from '@lib/db';
import { closingSoonRecipients } from './closing-soon-recipients';
import { eachConcurrently } from './each-concurrently';
import { appendThreadEvent } from './thread-events';

const HourMs = 3600_000;

export interface AnnounceReport {
  announced: number;
  skipped: number;
  failed: { pollId: number; error: string }[];
}

interface Candidate {
  id: number;
}

interface LockedPoll {
  id: number;
  author_id: number;
  group_id: number | null;
  discussion_id: number | null;
  closing_at: Date;
  notify_on_closing_soon: number;
}

/**
 * Announces the polls closing in the hour that starts 24 h after the given hour, once per closing time:
 * `closing_soon_notified_for` remembers the closing time announced, so moving the date re-arms it.
 * (Loomio skipped any poll announced in the last 24 h, so a date moved by less than a day never re-announced.)
 */
export class ClosingSoonAnnouncer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly batchSize: number,
    private readonly parallelism: number,
  ) {}

  static windowFor(hour: Date): { from: Date; to: Date } {
    const start = Math.floor(hour.getTime() / HourMs) * HourMs + 24 * HourMs;
    return { from: new Date(start), to: new Date(start + HourMs) };
  }

  async announceAll(hour: Date, onProgress: () => void = () => undefined): Promise<AnnounceReport> {
    const { from, to } = ClosingSoonAnnouncer.windowFor(hour);
    const report: AnnounceReport = { announced: 0, skipped: 0, failed: [] };
    let afterId = 0;
    for (;;) {
      const batch = (await this.dataSource.query(
        `SELECT id FROM polls
         WHERE closing_at >= $1 AND closing_at < $2 AND closed_at IS NULL AND discarded_at IS NULL
           AND closing_soon_notified_for IS DISTINCT FROM closing_at AND id > $3
         ORDER BY id LIMIT $4`,
        [from, to, afterId, this.batchSize],
      )) as Candidate[];
      await eachConcurrently(batch, this.parallelism, async (candidate) => {
        const pollId = Number(candidate.id);
        try {
          if (await this.announceOne(pollId, from, to)) report.announced++;
          else report.skipped++;
        } catch (error) {
          report.failed.push({ pollId, error: (error as Error).message });
        }
      });
      onProgress();
      if (batch.length < this.batchSize) return report;
      afterId = Number(batch[batch.length - 1].id);
    }
  }

  /** One poll in one transaction: mark, record the event, queue `events.poll.closing-soon`. */
  async announceOne(pollId: number, from: Date, to: Date): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [poll] = (await manager.query(
        `SELECT id, author_id, group_id, discussion_id, closing_at, notify_on_closing_soon FROM polls
         WHERE id = $1 AND closing_at >= $2 AND closing_at < $3 AND closed_at IS NULL AND discarded_at IS NULL
           AND closing_soon_notified_for IS DISTINCT FROM closing_at
         FOR UPDATE`,
        [pollId, from, to],
      )) as LockedPoll[];
      if (!poll) return false;
      await manager.query(`UPDATE polls SET closing_soon_notified_for = closing_at WHERE id = $1`, [pollId]);
      const recipients = await closingSoonRecipients(manager, {
        id: pollId,
        authorId: Number(poll.author_id),
        groupId: poll.group_id === null ? null : Number(poll.group_id),
        discussionId: poll.discussion_id === null ? null : Number(poll.discussion_id),
        notify: Number(poll.notify_on_closing_soon),
      });
      if (recipients.email.length === 0 && recipients.inApp.length === 0) return true;
      await appendThreadEvent(manager, {
        kind: 'poll_closing_soon',
        eventableType: 'Poll',
        eventableId: pollId,
        userId: null,
        // A notice to people, not a thread item: it takes no sequence id.
        discussionId: null,
      });
      await this.outbox.publish(manager, 'events.poll.closing-soon', {
        pollId,
        closingAt: new Date(poll.closing_at).toISOString(),
        recipients,
      });
      return true;
    });
  }
}
