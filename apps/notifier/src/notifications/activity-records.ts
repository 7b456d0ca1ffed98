import type { EntityManager } from 'typeorm';
import type { Scope } from './audiences';

/** The `events` row (activity) a notification hangs off. */
export interface Activity {
  id: number;
  kind: string;
  eventableType: string | null;
  eventableId: number | null;
  userId: number | null;
}

/** A record of a thread with what a notification shows of it. */
export interface ThreadRecord {
  scope: Scope;
  authorId: number;
  title: string;
  /** The web app path of the thread or poll. */
  path: string;
  discarded: boolean;
}

/** The app wrote the row before publishing; if it is not there (yet), the event is retried, not dropped. */
export class ActivityNotFoundError extends Error {
  override readonly name = 'ActivityNotFoundError';
}

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

export async function loadActivity(manager: EntityManager, eventId: number): Promise<Activity> {
  const [row] = (await manager.query(
    `SELECT id, kind, eventable_type, eventable_id, user_id FROM events WHERE id = $1`,
    [eventId],
  )) as {
    id: string;
    kind: string;
    eventable_type: string | null;
    eventable_id: string | null;
    user_id: string | null;
  }[];
  if (!row) throw new ActivityNotFoundError(`Activity (events row) ${eventId} not found`);
  return {
    id: Number(row.id),
    kind: row.kind,
    eventableType: row.eventable_type,
    eventableId: num(row.eventable_id),
    userId: num(row.user_id),
  };
}

/** The latest activity of these kinds about a record, for producers that do not name theirs. */
export async function findLatestActivity(
  manager: EntityManager,
  eventable: { type: string; id: number },
  kinds: string[],
): Promise<Activity> {
  const [row] = (await manager.query(
    `SELECT id FROM events WHERE eventable_type = $1 AND eventable_id = $2 AND kind = ANY($3::text[])
     ORDER BY id DESC LIMIT 1`,
    [eventable.type, eventable.id, kinds],
  )) as { id: string }[];
  if (!row)
    throw new ActivityNotFoundError(`No ${kinds.join('/')} activity for ${eventable.type} ${eventable.id}`);
  return loadActivity(manager, Number(row.id));
}

export async function loadDiscussion(
  manager: EntityManager,
  discussionId: number,
): Promise<ThreadRecord | undefined> {
  const [row] = (await manager.query(
    `SELECT id, group_id, author_id, key, title, discarded_at FROM discussions WHERE id = $1`,
    [discussionId],
  )) as {
    id: string;
    group_id: string | null;
    author_id: string;
    key: string | null;
    title: string;
    discarded_at: Date | null;
  }[];
  if (!row) return undefined;
  return {
    scope: { groupId: num(row.group_id), discussionId: Number(row.id), pollId: null },
    authorId: Number(row.author_id),
    title: row.title,
    path: `/d/${encodeURIComponent(row.key ?? row.id)}`,
    discarded: row.discarded_at !== null,
  };
}

export async function loadPoll(
  manager: EntityManager,
  pollId: number,
): Promise<(ThreadRecord & { pollType: string }) | undefined> {
  const [row] = (await manager.query(
    `SELECT p.id, COALESCE(p.group_id, d.group_id) AS group_id, p.discussion_id, p.author_id, p.key, p.title,
            p.poll_type, p.discarded_at
     FROM polls p LEFT JOIN discussions d ON d.id = p.discussion_id WHERE p.id = $1`,
    [pollId],
  )) as {
    id: string;
    group_id: string | null;
    discussion_id: string | null;
    author_id: string;
    key: string | null;
    title: string;
    poll_type: string;
    discarded_at: Date | null;
  }[];
  if (!row) return undefined;
  return {
    scope: { groupId: num(row.group_id), discussionId: num(row.discussion_id), pollId: Number(row.id) },
    authorId: Number(row.author_id),
    title: row.title,
    path: `/p/${encodeURIComponent(row.key ?? row.id)}`,
    pollType: row.poll_type,
    discarded: row.discarded_at !== null,
  };
}

/** The thread of a comment, with the comment's own author and (for a reply) its parent's author. */
export async function loadComment(
  manager: EntityManager,
  commentId: number,
): Promise<
  { thread: ThreadRecord; authorId: number; parentAuthorId: number | null; discarded: boolean } | undefined
> {
  const [row] = (await manager.query(
    `SELECT c.discussion_id, c.author_id, c.discarded_at, parent.author_id AS parent_author_id
     FROM comments c LEFT JOIN comments parent ON parent.id = c.parent_id AND parent.discarded_at IS NULL
     WHERE c.id = $1`,
    [commentId],
  )) as {
    discussion_id: string;
    author_id: string;
    discarded_at: Date | null;
    parent_author_id: string | null;
  }[];
  if (!row) return undefined;
  const thread = await loadDiscussion(manager, Number(row.discussion_id));
  if (!thread) return undefined;
  return {
    thread: { ...thread, path: `${thread.path}/comment/${commentId}` },
    authorId: Number(row.author_id),
    parentAuthorId: num(row.parent_author_id),
    discarded: row.discarded_at !== null || thread.discarded,
  };
}

/** Where a mentioned record lives: a discussion, comment, poll, outcome (its poll) or stance (its poll). */
export async function loadMentionedRecord(
  manager: EntityManager,
  recordType: 'Discussion' | 'Comment' | 'Poll' | 'Outcome' | 'Stance',
  recordId: number,
): Promise<ThreadRecord | undefined> {
  switch (recordType) {
    case 'Discussion':
      return loadDiscussion(manager, recordId);
    case 'Comment': {
      const comment = await loadComment(manager, recordId);
      return comment && { ...comment.thread, discarded: comment.discarded };
    }
    case 'Poll':
      return loadPoll(manager, recordId);
    case 'Outcome':
    case 'Stance': {
      const table = recordType === 'Outcome' ? 'outcomes' : 'stances';
      const [row] = (await manager.query(`SELECT poll_id FROM ${table} WHERE id = $1`, [recordId])) as {
        poll_id: string;
      }[];
      return row ? loadPoll(manager, Number(row.poll_id)) : undefined;
    }
  }
}

export async function userName(manager: EntityManager, userId: number | null): Promise<string> {
  if (userId === null) return '';
  const [row] = (await manager.query(`SELECT name FROM users WHERE id = $1`, [userId])) as {
    name: string | null;
  }[];
  return row?.name ?? '';
}
