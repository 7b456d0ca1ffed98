import { randomInt, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/**
 * Appends a comment to a thread the way the app numbers it: the next `sequence_id` under the discussion's row
 * lock (the caller holds it), as a child of the thread's `new_discussion` root event.
 */
export async function insertComment(
  manager: EntityManager,
  comment: { discussionId: number; authorId: number; bodyHtml: string },
): Promise<{ commentId: number; eventId: number }> {
  const [inserted] = (await manager.query(
    `INSERT INTO comments (discussion_id, author_id, body, body_format) VALUES ($1, $2, $3, 'html') RETURNING id`,
    [comment.discussionId, comment.authorId, comment.bodyHtml],
  )) as { id: string }[];
  const commentId = Number(inserted.id);
  const [next] = (await manager.query(
    `SELECT COALESCE(max(sequence_id), 0) + 1 AS next FROM events WHERE discussion_id = $1`,
    [comment.discussionId],
  )) as { next: string | number }[];
  const sequenceId = Number(next.next);
  const [root] = (await manager.query(
    `UPDATE events SET child_count = child_count + 1, descendant_count = descendant_count + 1, updated_at = now()
     WHERE id = (SELECT id FROM events WHERE discussion_id = $1 AND kind = 'new_discussion' ORDER BY id LIMIT 1)
     RETURNING id, child_count`,
    [comment.discussionId],
  )) as [{ id: string; child_count: number }[], number];
  const parent = root[0];
  const [event] = (await manager.query(
    `INSERT INTO events (kind, eventable_type, eventable_id, user_id, discussion_id, sequence_id, parent_id, depth, position)
     VALUES ('new_comment', 'Comment', $1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      commentId,
      comment.authorId,
      comment.discussionId,
      sequenceId,
      parent ? Number(parent.id) : null,
      parent ? 1 : 0,
      parent ? parent.child_count : 0,
    ],
  )) as { id: string }[];
  await manager.query(
    `UPDATE discussions
     SET last_sequence_id = GREATEST(last_sequence_id, $2), items_count = items_count + 1,
         last_activity_at = now(), updated_at = now()
     WHERE id = $1`,
    [comment.discussionId, sequenceId],
  );
  return { commentId, eventId: Number(event.id) };
}

/** Starts a thread: the discussion and its `new_discussion` root event (sequence 0, as the app writes it). */
export async function insertDiscussion(
  manager: EntityManager,
  discussion: { groupId: number; authorId: number; title: string; descriptionHtml: string },
): Promise<{ discussionId: number; eventId: number }> {
  const [inserted] = (await manager.query(
    `INSERT INTO discussions (group_id, author_id, key, title, description, description_format, last_activity_at)
     VALUES ($1, $2, $3, $4, $5, 'html', now()) RETURNING id`,
    [discussion.groupId, discussion.authorId, discussionKey(), discussion.title, discussion.descriptionHtml],
  )) as { id: string }[];
  const discussionId = Number(inserted.id);
  const [event] = (await manager.query(
    `INSERT INTO events (kind, eventable_type, eventable_id, user_id, discussion_id, sequence_id)
     VALUES ('new_discussion', 'Discussion', $1, $2, $1, 0) RETURNING id`,
    [discussionId, discussion.authorId],
  )) as { id: string }[];
  return { discussionId, eventId: Number(event.id) };
}

const KeyAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** The public key in a thread's URL (`/d/<key>`), 8 characters like the app's. */
function discussionKey(): string {
  return Array.from({ length: 8 }, () => KeyAlphabet[randomInt(KeyAlphabet.length)]).join('');
}

/** Compares a key from a mail address with the stored one without leaking, by timing, how much matched. */
export function keysMatch(given: string, stored: string | null): boolean {
  if (!stored) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
