import type { DataSource } from 'typeorm';
import { fanOut } from '../notifications/activity-fanout';
import { loadPoll } from '../notifications/activity-records';
import { addressedPeople } from '../notifications/audiences';

export interface OutcomeReviewReport {
  announced: number;
  skipped: number;
}

/**
 * Tells the author of each outcome whose review date has come (`review_on <= today`), once per review date:
 * `review_notified_for` remembers the date announced, so moving the date re-arms it and a missed day still
 * fires. Each outcome in its own transaction: the mark, the activity row, the notification and the mail.
 */
export class OutcomeReviews {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 500,
  ) {}

  /** `today` is the UTC calendar date, YYYY-MM-DD. */
  async announceAll(today: string, onProgress: () => void = () => undefined): Promise<OutcomeReviewReport> {
    const report: OutcomeReviewReport = { announced: 0, skipped: 0 };
    let afterId = 0;
    for (;;) {
      const outcomes = (await this.dataSource.query(
        `SELECT id FROM outcomes
         WHERE review_on <= $1::date AND review_notified_for IS DISTINCT FROM review_on AND latest AND id > $2
         ORDER BY id LIMIT $3`,
        [today, afterId, this.batchSize],
      )) as { id: string }[];
      for (const outcome of outcomes) {
        if (await this.announceOne(Number(outcome.id), today)) report.announced++;
        else report.skipped++;
      }
      onProgress();
      if (outcomes.length < this.batchSize) return report;
      afterId = Number(outcomes[outcomes.length - 1].id);
    }
  }

  private announceOne(outcomeId: number, today: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [outcome] = (await manager.query(
        `SELECT id, poll_id, author_id, review_on::text AS review_on FROM outcomes
         WHERE id = $1 AND review_on <= $2::date AND review_notified_for IS DISTINCT FROM review_on AND latest
         FOR UPDATE SKIP LOCKED`,
        [outcomeId, today],
      )) as { id: string; poll_id: string; author_id: string; review_on: string }[];
      if (!outcome) return false;
      await manager.query(`UPDATE outcomes SET review_notified_for = review_on WHERE id = $1`, [outcomeId]);
      const poll = await loadPoll(manager, Number(outcome.poll_id));
      // Marked all the same: a discarded poll's outcome needs no review.
      if (!poll || poll.discarded) return false;
      const [event] = (await manager.query(
        `INSERT INTO events (kind, eventable_type, eventable_id, user_id, custom_fields)
         VALUES ('outcome_review_due', 'Outcome', $1, $2, $3) RETURNING id`,
        [outcomeId, outcome.author_id, JSON.stringify({ review_on: outcome.review_on })],
      )) as { id: string }[];
      await fanOut(
        manager,
        {
          eventId: Number(event.id),
          actorId: null,
          kind: 'outcome_review_due',
          url: poll.path,
          translationValues: { title: poll.title },
          mail: { kind: 'outcome_review_due', recordType: 'Outcome', recordId: outcomeId },
        },
        addressedPeople(poll.scope, [Number(outcome.author_id)]),
      );
      return true;
    });
  }
}
