import type { EntityManager } from 'typeorm';
import { recomputePollCounts } from './poll-counts';

export interface StanceScoresReport {
  /** False when the poll does not exist (deleted since the job was queued). */
  found: boolean;
  droppedChoices: number;
  stances: number;
}

/**
 * After a poll's options changed (Loomio's reset-poll-stance-data): choices of options that no longer exist
 * are dropped, every stance's `option_scores` is rebuilt from its remaining choices, then the poll's counts.
 * The poll row is locked first, so two runs for one poll take turns and the later one sees the final options.
 */
export async function recomputeStanceScores(
  manager: EntityManager,
  pollId: number,
): Promise<StanceScoresReport> {
  const [poll] = (await manager.query(`SELECT id FROM polls WHERE id = $1 FOR UPDATE`, [
    pollId,
  ])) as unknown[];
  if (!poll) return { found: false, droppedChoices: 0, stances: 0 };
  const [, droppedChoices] = (await manager.query(
    `DELETE FROM stance_choices sc USING stances s
     WHERE sc.stance_id = s.id AND s.poll_id = $1
       AND NOT EXISTS (SELECT 1 FROM poll_options o WHERE o.id = sc.poll_option_id AND o.poll_id = $1)`,
    [pollId],
  )) as [unknown, number];
  const [, stances] = (await manager.query(
    `UPDATE stances s SET option_scores = COALESCE(c.scores, '{}'::jsonb)
     FROM stances base
     LEFT JOIN (
       SELECT stance_id, jsonb_object_agg(poll_option_id::text, score) AS scores
       FROM stance_choices WHERE stance_id IN (SELECT id FROM stances WHERE poll_id = $1)
       GROUP BY stance_id
     ) c ON c.stance_id = base.id
     WHERE s.id = base.id AND base.poll_id = $1
       AND s.option_scores IS DISTINCT FROM COALESCE(c.scores, '{}'::jsonb)`,
    [pollId],
  )) as [unknown, number];
  await recomputePollCounts(manager, pollId);
  return { found: true, droppedChoices, stances };
}
