import type { EntityManager } from 'typeorm';

export interface ThreadEvent {
  kind: string;
  eventableType: string;
  eventableId: number;
  userId: number | null;
  discussionId: number | null;
  customFields?: Record<string, unknown>;
}

/**
 * Appends an event to the activity log; in a thread it takes the next sequence id, under a lock on the
 * discussion so that concurrent writers never hand out the same number.
 */
export async function appendThreadEvent(manager: EntityManager, event: ThreadEvent): Promise<number> {
  let sequenceId: number | null = null;
  if (event.discussionId !== null) {
    await manager.query(`SELECT id FROM discussions WHERE id = $1 FOR UPDATE`, [event.discussionId]);
    const [next] = (await manager.query(
      `SELECT COALESCE(max(sequence_id), 0) + 1 AS next FROM events WHERE discussion_id = $1`,
      [event.discussionId],
    )) as { next: number }[];
    sequenceId = Number(next.next);
  }
  const [inserted] = (await manager.query(
    `INSERT INTO events (kind, eventable_type, eventable_id, user_id, discussion_id, sequence_id, custom_fields)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      event.kind,
      event.eventableType,
      event.eventableId,
      event.userId,
      event.discussionId,
      sequenceId,
      JSON.stringify(event.customFields ?? {}),
    ],
  )) as { id: string | number }[];
  return Number(inserted.id);
}
