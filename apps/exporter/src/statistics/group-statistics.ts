import type { DataSource } from 'typeorm';

const DayMs = 24 * 3600_000;

/** The Monday (UTC, 'YYYY-MM-DD') of the week before the one containing `now`: the week that just ended. */
export function previousWeekStarting(now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const daysSinceMonday = (new Date(today).getUTCDay() + 6) % 7;
  return new Date(today - (daysSinceMonday + 7) * DayMs).toISOString().slice(0, 10);
}

/** True for a real calendar date 'YYYY-MM-DD' that is a Monday. */
export function isMonday(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return (
    !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date && parsed.getUTCDay() === 1
  );
}

/**
 * group-statistics: one row per group and week. Counts are taken as of the end of the week (members whose
 * membership was accepted before it and not revoked by then; what was created during it), not as of the run,
 * so a re-run or a late run writes the same numbers. Groups are walked by id in batches, each batch one upsert
 * on (group_id, week_starting): a redelivered job rewrites the same rows, a crashed one redoes its batch.
 */
export class GroupStatistics {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 500,
  ) {}

  async compute(weekStarting: string, afterBatch?: () => void): Promise<number> {
    if (!isMonday(weekStarting)) throw new Error(`weekStarting ${weekStarting} is not a Monday`);
    let lastId = '0';
    let groups = 0;
    for (;;) {
      const rows = (await this.dataSource.query(
        `WITH week AS (SELECT $1::date::timestamp AT TIME ZONE 'UTC' AS starts,
                              ($1::date + 7)::timestamp AT TIME ZONE 'UTC' AS ends),
         batch AS (SELECT id FROM groups WHERE id > $2 AND archived_at IS NULL ORDER BY id LIMIT $3),
         members AS (
           SELECT m.group_id, m.user_id FROM memberships m, week
           WHERE m.group_id IN (SELECT id FROM batch) AND m.accepted_at < week.ends
             AND (m.revoked_at IS NULL OR m.revoked_at >= week.ends)),
         discussions_of_week AS (
           SELECT d.group_id, d.author_id AS user_id FROM discussions d, week
           WHERE d.group_id IN (SELECT id FROM batch) AND d.created_at >= week.starts AND d.created_at < week.ends),
         comments_of_week AS (
           SELECT d.group_id, c.author_id AS user_id FROM comments c JOIN discussions d ON d.id = c.discussion_id, week
           WHERE d.group_id IN (SELECT id FROM batch) AND c.created_at >= week.starts AND c.created_at < week.ends),
         polls_of_week AS (
           SELECT p.group_id, p.author_id AS user_id FROM polls p, week
           WHERE p.group_id IN (SELECT id FROM batch) AND p.created_at >= week.starts AND p.created_at < week.ends),
         votes_of_week AS (
           SELECT p.group_id, s.participant_id AS user_id FROM stances s JOIN polls p ON p.id = s.poll_id, week
           WHERE p.group_id IN (SELECT id FROM batch) AND s.cast_at >= week.starts AND s.cast_at < week.ends),
         writers AS (
           SELECT group_id, user_id FROM discussions_of_week UNION SELECT group_id, user_id FROM comments_of_week
           UNION SELECT group_id, user_id FROM polls_of_week UNION SELECT group_id, user_id FROM votes_of_week)
         INSERT INTO group_statistics (group_id, week_starting, members_count, active_members_count,
           discussions_count, comments_count, polls_count, votes_count)
         SELECT b.id, $1::date,
           (SELECT count(*) FROM members m WHERE m.group_id = b.id),
           (SELECT count(*) FROM writers w JOIN members m ON m.group_id = w.group_id AND m.user_id = w.user_id
             WHERE w.group_id = b.id),
           (SELECT count(*) FROM discussions_of_week x WHERE x.group_id = b.id),
           (SELECT count(*) FROM comments_of_week x WHERE x.group_id = b.id),
           (SELECT count(*) FROM polls_of_week x WHERE x.group_id = b.id),
           (SELECT count(*) FROM votes_of_week x WHERE x.group_id = b.id)
         FROM batch b
         ON CONFLICT (group_id, week_starting) DO UPDATE SET
           members_count = EXCLUDED.members_count, active_members_count = EXCLUDED.active_members_count,
           discussions_count = EXCLUDED.discussions_count, comments_count = EXCLUDED.comments_count,
           polls_count = EXCLUDED.polls_count, votes_count = EXCLUDED.votes_count
         RETURNING group_id`,
        [weekStarting, lastId, this.batchSize],
      )) as { group_id: string }[];
      if (rows.length === 0) return groups;
      groups += rows.length;
      lastId = rows
        .map((row) => BigInt(row.group_id))
        .reduce((a, b) => (a > b ? a : b))
        .toString();
      afterBatch?.();
      if (rows.length < this.batchSize) return groups;
    }
  }
}
