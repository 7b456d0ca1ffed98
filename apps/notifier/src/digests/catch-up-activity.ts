import type { EntityManager } from 'typeorm';
import { Volume } from '../notifications/audiences';

export interface CatchUpThread {
  discussionId: number;
  title: string;
  path: string;
  /** New thread items in the window. */
  items: number;
}

/** Threads listed in one digest at most; the rest are behind the link to the app. */
export const CatchUpThreadLimit = 25;

/**
 * The unread activity of a user in the threads they can see, in the window: thread items (events with a
 * sequence id) by others, after the user last read the thread, in threads not discarded and not muted
 * (volume 0) for them. Visible = an accepted, unrevoked membership of the thread's group or an unrevoked
 * discussion reader.
 */
export async function unreadThreads(
  manager: EntityManager,
  userId: number,
  window: { since: Date; until: Date },
  limit = CatchUpThreadLimit,
): Promise<CatchUpThread[]> {
  const rows = (await manager.query(
    `SELECT d.id, d.key, d.title, count(*) AS items
     FROM events e
     JOIN discussions d ON d.id = e.discussion_id AND d.discarded_at IS NULL
     LEFT JOIN memberships m ON m.group_id = d.group_id AND m.user_id = $1
                            AND m.accepted_at IS NOT NULL AND m.revoked_at IS NULL
     LEFT JOIN discussion_readers r ON r.discussion_id = d.id AND r.user_id = $1 AND r.revoked_at IS NULL
     WHERE e.created_at > $2 AND e.created_at <= $3
       AND e.sequence_id IS NOT NULL
       AND e.user_id IS DISTINCT FROM $1
       AND (m.id IS NOT NULL OR r.id IS NOT NULL)
       AND COALESCE(r.volume, m.volume, ${Volume.normal}) > ${Volume.mute}
       AND (r.last_read_at IS NULL OR e.created_at > r.last_read_at)
     GROUP BY d.id
     ORDER BY max(e.created_at) DESC, d.id
     LIMIT $4`,
    [userId, window.since, window.until, limit],
  )) as { id: string; key: string | null; title: string; items: string }[];
  return rows.map((row) => ({
    discussionId: Number(row.id),
    title: row.title,
    path: `/d/${encodeURIComponent(row.key ?? row.id)}`,
    items: Number(row.items),
  }));
}
