import type { EntityManager } from 'typeorm';

/**
 * Recomputes a poll's counts from its stances: voters (latest, non-revoked, cast), undecided (latest,
 * non-revoked, not cast) and, per option, voters, total score and how many gave each score. Derived from
 * scratch every time, so running it twice, or for an event delivered twice, changes nothing.
 */
export async function recomputePollCounts(manager: EntityManager, pollId: number): Promise<void> {
  await manager.query(
    `UPDATE polls SET
       voters_count = c.voters, undecided_count = c.undecided, stances_count = c.voters + c.undecided
     FROM (
       SELECT count(*) FILTER (WHERE cast_at IS NOT NULL) AS voters,
              count(*) FILTER (WHERE cast_at IS NULL) AS undecided
       FROM stances WHERE poll_id = $1 AND latest AND revoked_at IS NULL
     ) c
     WHERE polls.id = $1`,
    [pollId],
  );
  await manager.query(
    `UPDATE poll_options o SET
       voter_count = COALESCE(t.voters, 0),
       total_score = COALESCE(t.total, 0),
       score_counts = COALESCE(t.by_score, '{}'::jsonb)
     FROM poll_options base
     LEFT JOIN (
       SELECT per_score.poll_option_id,
              sum(per_score.voters)::int AS voters,
              sum(per_score.total)::int AS total,
              jsonb_object_agg(per_score.score::text, per_score.voters) AS by_score
       FROM (
         SELECT sc.poll_option_id, sc.score, count(DISTINCT s.id) AS voters, sum(sc.score) AS total
         FROM stance_choices sc
         JOIN stances s ON s.id = sc.stance_id
         WHERE s.poll_id = $1 AND s.latest AND s.revoked_at IS NULL AND s.cast_at IS NOT NULL
         GROUP BY sc.poll_option_id, sc.score
       ) per_score
       GROUP BY per_score.poll_option_id
     ) t ON t.poll_option_id = base.id
     WHERE o.id = base.id AND base.poll_id = $1`,
    [pollId],
  );
}
