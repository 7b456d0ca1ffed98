import type { EntityManager } from 'typeorm';

/**
 * What a chatbot is told about one `events` row, read at send time: names and titles are never stored in
 * the job, so an erased user or a renamed thread is posted as it is now. No e-mail address is read.
 */
export interface ChatbotActivity {
  eventId: number;
  kind: string;
  occurredAt: Date;
  /** Null when the actor is unknown, erased, or hidden because the poll is anonymous. */
  actorName: string | null;
  /** The thing that happened to: a discussion, poll, outcome's poll, comment's thread, ... */
  title: string;
  url: string;
  recordType: string | null;
  recordId: number | null;
  group: { id: number; name: string; url: string };
  discussion: { id: number; title: string; url: string } | null;
}

interface EventRow {
  id: string;
  kind: string;
  created_at: Date;
  eventable_type: string | null;
  eventable_id: string | null;
  actor_name: string | null;
  discussion_id: string | null;
  discussion_title: string | null;
  discussion_key: string | null;
  discussion_discarded_at: Date | null;
  discussion_group_id: string | null;
  group_id: string;
  group_name: string;
  group_handle: string | null;
}

interface Subject {
  title: string;
  url: string;
  /** Posting about something deleted since would leak it; such activity is dropped. */
  discarded: boolean;
  /** The actor of a stance in an anonymous poll stays hidden. */
  hidesActor?: boolean;
  /** The group the record belongs to, when it has one. */
  groupId?: string | null;
}

export type LoadedActivity = { found: true; activity: ChatbotActivity } | { found: false; reason: string };

/** Loads the event with its actor, thread and the chatbot's group; `appUrl` has no trailing slash. */
export async function loadChatbotActivity(
  manager: EntityManager,
  eventId: number,
  groupId: number,
  appUrl: string,
): Promise<LoadedActivity> {
  const [row] = (await manager.query(
    `SELECT e.id, e.kind, e.created_at, e.eventable_type, e.eventable_id,
            u.name AS actor_name,
            d.id AS discussion_id, d.title AS discussion_title, d.key AS discussion_key,
            d.discarded_at AS discussion_discarded_at, d.group_id AS discussion_group_id,
            g.id AS group_id, g.name AS group_name, g.handle AS group_handle
       FROM events e
       JOIN groups g ON g.id = $2
       LEFT JOIN users u ON u.id = e.user_id
       LEFT JOIN discussions d ON d.id = e.discussion_id
      WHERE e.id = $1`,
    [eventId, groupId],
  )) as EventRow[];
  if (!row) return { found: false, reason: `event ${eventId} or group ${groupId} no longer exists` };

  const groupUrl = `${appUrl}/g/${encodeURIComponent(row.group_handle ?? row.group_id)}`;
  const discussion =
    row.discussion_id === null
      ? null
      : {
          id: Number(row.discussion_id),
          title: row.discussion_title ?? '',
          url: discussionUrl(appUrl, row.discussion_key, row.discussion_id),
        };
  if (row.discussion_discarded_at)
    return { found: false, reason: `the thread of event ${eventId} was deleted` };

  const subject = await subjectOf(manager, row, appUrl, {
    title: discussion?.title ?? row.group_name,
    url: discussion?.url ?? groupUrl,
    discarded: false,
  });
  if (subject === null)
    return { found: false, reason: `the ${row.eventable_type} of event ${eventId} no longer exists` };
  if (subject.discarded)
    return { found: false, reason: `the ${row.eventable_type} of event ${eventId} was deleted` };
  // A job naming another group's chatbot must not carry this group's activity there.
  const recordGroupId = subject.groupId ?? row.discussion_group_id;
  if (recordGroupId != null && recordGroupId !== row.group_id) {
    return {
      found: false,
      reason: `event ${eventId} belongs to another group than chatbot's group ${groupId}`,
    };
  }

  return {
    found: true,
    activity: {
      eventId: Number(row.id),
      kind: row.kind,
      occurredAt: row.created_at,
      actorName: subject.hidesActor ? null : row.actor_name,
      title: subject.title,
      url: subject.url,
      recordType: row.eventable_type,
      recordId: row.eventable_id === null ? null : Number(row.eventable_id),
      group: { id: Number(row.group_id), name: row.group_name, url: groupUrl },
      discussion,
    },
  };
}

async function subjectOf(
  manager: EntityManager,
  row: EventRow,
  appUrl: string,
  fallback: Subject,
): Promise<Subject | null> {
  const id = row.eventable_id;
  switch (row.eventable_type) {
    case 'Discussion': {
      const [d] = (await manager.query(
        `SELECT id, title, key, discarded_at, group_id FROM discussions WHERE id = $1`,
        [id],
      )) as {
        id: string;
        title: string;
        key: string | null;
        discarded_at: Date | null;
        group_id: string | null;
      }[];
      if (!d) return null;
      const url = discussionUrl(appUrl, d.key, d.id);
      return { title: d.title, url, discarded: d.discarded_at !== null, groupId: d.group_id };
    }
    case 'Poll':
      return pollSubject(
        manager,
        appUrl,
        `SELECT id, title, key, discarded_at, anonymous, group_id FROM polls WHERE id = $1`,
        id,
        false,
      );
    case 'Outcome':
      return pollSubject(
        manager,
        appUrl,
        `SELECT p.id, p.title, p.key, p.discarded_at, p.anonymous, p.group_id FROM outcomes o JOIN polls p ON p.id = o.poll_id WHERE o.id = $1`,
        id,
        false,
      );
    case 'Stance':
      return pollSubject(
        manager,
        appUrl,
        `SELECT p.id, p.title, p.key, p.discarded_at, p.anonymous, p.group_id FROM stances s JOIN polls p ON p.id = s.poll_id WHERE s.id = $1`,
        id,
        true,
      );
    case 'Comment': {
      const [c] = (await manager.query(`SELECT id, discarded_at FROM comments WHERE id = $1`, [id])) as {
        id: string;
        discarded_at: Date | null;
      }[];
      return c
        ? { ...fallback, url: `${fallback.url}/comment/${c.id}`, discarded: c.discarded_at !== null }
        : null;
    }
    default:
      // Groups, memberships and users: the group (or thread) itself is what the chat is told about.
      return fallback;
  }
}

/** `voterEvent`: the actor is a voter, whom an anonymous poll hides (its author is public). */
async function pollSubject(
  manager: EntityManager,
  appUrl: string,
  sql: string,
  id: string | null,
  voterEvent: boolean,
): Promise<Subject | null> {
  const [poll] = (await manager.query(sql, [id])) as {
    id: string;
    title: string;
    key: string | null;
    discarded_at: Date | null;
    anonymous: boolean;
    group_id: string | null;
  }[];
  if (!poll) return null;
  return {
    title: poll.title,
    url: `${appUrl}/p/${encodeURIComponent(poll.key ?? poll.id)}`,
    discarded: poll.discarded_at !== null,
    hidesActor: voterEvent && poll.anonymous,
    groupId: poll.group_id,
  };
}

function discussionUrl(appUrl: string, key: string | null, id: string): string {
  return `${appUrl}/d/${encodeURIComponent(key ?? id)}`;
}
