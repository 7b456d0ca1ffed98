import type { DataSource, EntityManager } from 'typeorm';
import { layoutThread, trimReadRanges, type ThreadEvent } from './thread-layout';

export interface RepairReport {
  events: number;
  /** Events whose sequence id, parent, depth, position or counts changed. */
  changed: number;
  numbered: number;
  lastSequenceId: number;
  readersTrimmed: number;
}

/**
 * repair-thread: recomputes the tree of a discussion's events (see layoutThread) and the discussion's
 * counters, writes only what differs, and cuts readers' read ranges at the last sequence id. One transaction
 * with the discussion locked, so it can run beside the app and after move-comments.
 */
export class ThreadRepair {
  constructor(private readonly dataSource: DataSource) {}

  repair(discussionId: number): Promise<RepairReport | null> {
    return this.dataSource.transaction((manager) => this.repairIn(manager, discussionId));
  }

  async repairIn(manager: EntityManager, discussionId: number): Promise<RepairReport | null> {
    const [discussion] = (await manager.query(`SELECT max_depth FROM discussions WHERE id = $1 FOR UPDATE`, [
      discussionId,
    ])) as { max_depth: number }[];
    if (!discussion) return null;
    const rows = (await manager.query(
      `SELECT e.id, e.sequence_id, e.parent_id, e.depth, e.position, e.child_count, e.descendant_count, e.created_at,
              e.kind = 'new_discussion' AND e.eventable_type = 'Discussion' AND e.eventable_id = e.discussion_id AS is_root,
              CASE e.eventable_type
                WHEN 'Comment' THEN (SELECT pe.id FROM comments c JOIN events pe
                                       ON pe.eventable_type = 'Comment' AND pe.eventable_id = c.parent_id
                                      AND pe.discussion_id = e.discussion_id
                                     WHERE c.id = e.eventable_id ORDER BY pe.id LIMIT 1)
                WHEN 'Stance' THEN (SELECT pe.id FROM stances s JOIN events pe
                                      ON pe.eventable_type = 'Poll' AND pe.eventable_id = s.poll_id
                                     AND pe.discussion_id = e.discussion_id
                                    WHERE s.id = e.eventable_id ORDER BY pe.id LIMIT 1)
                WHEN 'Outcome' THEN (SELECT pe.id FROM outcomes o JOIN events pe
                                       ON pe.eventable_type = 'Poll' AND pe.eventable_id = o.poll_id
                                      AND pe.discussion_id = e.discussion_id
                                     WHERE o.id = e.eventable_id ORDER BY pe.id LIMIT 1)
              END AS natural_parent_id
       FROM events e WHERE e.discussion_id = $1`,
      [discussionId],
    )) as {
      id: string;
      sequence_id: number | null;
      parent_id: string | null;
      depth: number;
      position: number;
      child_count: number;
      descendant_count: number;
      created_at: Date;
      is_root: boolean;
      natural_parent_id: string | null;
    }[];
    const input: ThreadEvent[] = rows.map((row) => ({
      id: Number(row.id),
      sequenceId: row.sequence_id,
      naturalParentId: row.natural_parent_id === null ? null : Number(row.natural_parent_id),
      isRoot: row.is_root,
      createdAt: row.created_at,
    }));
    const layout = layoutThread(input, discussion.max_depth);
    const current = new Map(rows.map((row) => [Number(row.id), row]));
    const changed = layout.events.filter((event) => {
      const row = current.get(event.id)!;
      return (
        row.sequence_id !== event.sequenceId ||
        (row.parent_id === null ? null : Number(row.parent_id)) !== event.parentId ||
        row.depth !== event.depth ||
        row.position !== event.position ||
        row.child_count !== event.childCount ||
        row.descendant_count !== event.descendantCount
      );
    });
    if (changed.length > 0) {
      await manager.query(
        `UPDATE events e SET sequence_id = v.sequence_id, parent_id = v.parent_id, depth = v.depth,
                position = v.position, child_count = v.child_count, descendant_count = v.descendant_count,
                updated_at = now()
         FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::int[], $5::int[], $6::int[], $7::int[])
           AS v(id, sequence_id, parent_id, depth, position, child_count, descendant_count)
         WHERE e.id = v.id`,
        [
          changed.map((e) => e.id),
          changed.map((e) => e.sequenceId),
          changed.map((e) => e.parentId),
          changed.map((e) => e.depth),
          changed.map((e) => e.position),
          changed.map((e) => e.childCount),
          changed.map((e) => e.descendantCount),
        ],
      );
    }
    await manager.query(
      `UPDATE discussions SET last_sequence_id = $2, items_count = $3 WHERE id = $1
         AND (last_sequence_id, items_count) IS DISTINCT FROM ($2, $3)`,
      [discussionId, layout.lastSequenceId, layout.itemsCount],
    );
    const readersTrimmed = await this.trimReaders(manager, discussionId, layout.lastSequenceId);
    return {
      events: rows.length,
      changed: changed.length,
      numbered: rows.filter((row) => row.sequence_id === null).length,
      lastSequenceId: layout.lastSequenceId,
      readersTrimmed,
    };
  }

  private async trimReaders(manager: EntityManager, discussionId: number, last: number): Promise<number> {
    const readers = (await manager.query(
      `SELECT id, read_ranges FROM discussion_readers WHERE discussion_id = $1
         AND EXISTS (SELECT 1 FROM jsonb_array_elements(read_ranges) r
                     WHERE CASE WHEN jsonb_typeof(r->1) = 'number' THEN (r->>1)::numeric > $2 ELSE false END)`,
      [discussionId, last],
    )) as { id: string; read_ranges: unknown }[];
    for (const reader of readers) {
      await manager.query(
        `UPDATE discussion_readers SET read_ranges = $2, updated_at = now() WHERE id = $1`,
        [reader.id, JSON.stringify(trimReadRanges(reader.read_ranges, last))],
      );
    }
    return readers.length;
  }
}
