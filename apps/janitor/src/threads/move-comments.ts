import type { DataSource } from 'typeorm';
import type { SearchIndex } from '../search/search-index';
import type { RepairReport, ThreadRepair } from './thread-repair';

export type MoveOutcome =
  | { moved: false; reason: 'unknown-discussion' | 'same-discussion' }
  | { moved: true; comments: number; events: number; source: RepairReport; target: RepairReport };

/**
 * move-comments: moves comments (with their replies, which keep their parent) to another discussion, in one
 * transaction. Their events take the target's next sequence ids in their original order; the items left
 * behind keep theirs. Both threads are then re-laid out by repair-thread. Running it again moves nothing
 * more: the comments are no longer in the source.
 */
export class MoveComments {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repair: ThreadRepair,
    private readonly search: SearchIndex,
  ) {}

  async move(sourceId: number, targetId: number, commentIds: number[]): Promise<MoveOutcome> {
    if (sourceId === targetId) return { moved: false, reason: 'same-discussion' };
    return this.dataSource.transaction(async (manager) => {
      const locked = (await manager.query(
        `SELECT id FROM discussions WHERE id = ANY($1) ORDER BY id FOR UPDATE`,
        [[sourceId, targetId]],
      )) as unknown[];
      if (locked.length !== 2) return { moved: false, reason: 'unknown-discussion' } as const;
      const moved = (
        (await manager.query(
          `WITH RECURSIVE subtree AS (
             SELECT id FROM comments WHERE id = ANY($1) AND discussion_id = $2
             UNION SELECT c.id FROM comments c JOIN subtree ON c.parent_id = subtree.id WHERE c.discussion_id = $2)
           SELECT id FROM subtree ORDER BY id`,
          [commentIds, sourceId],
        )) as { id: string }[]
      ).map((row) => Number(row.id));
      await manager.query(
        `UPDATE comments SET discussion_id = $2,
                parent_id = CASE WHEN parent_id = ANY($1) THEN parent_id END, updated_at = now()
         WHERE id = ANY($1)`,
        [moved, targetId],
      );
      const [, events] = (await manager.query(
        `WITH target_end AS (SELECT coalesce(max(sequence_id), 0) AS last FROM events WHERE discussion_id = $3),
              ordered AS (
                SELECT id, row_number() OVER (ORDER BY sequence_id NULLS LAST, created_at, id) AS n
                FROM events WHERE discussion_id = $2 AND eventable_type = 'Comment' AND eventable_id = ANY($1))
         UPDATE events e SET discussion_id = $3, sequence_id = target_end.last + ordered.n, updated_at = now()
         FROM ordered, target_end WHERE e.id = ordered.id`,
        [moved, sourceId, targetId],
      )) as [unknown, number];
      const source = (await this.repair.repairIn(manager, sourceId))!;
      const target = (await this.repair.repairIn(manager, targetId))!;
      await this.search.syncComments(moved, manager);
      return { moved: true, comments: moved.length, events, source, target } as const;
    });
  }
}
