import type { EntityManager } from 'typeorm';
import type { Outbox } from '@lib/db';
import { closingSoonRecipients, type Recipients } from './closing-soon-recipients';
import { appendThreadEvent } from './thread-events';

export type ReminderOutcome =
  | { reminded: true; eventId: number; recipients: Recipients }
  | { reminded: false; reason: 'poll-not-found' | 'poll-closed' | 'nobody-undecided' };

/**
 * A reminder to the holders of a latest, non-revoked stance not yet cast (Loomio's vote reminder), by the
 * same volume rules as closing-soon; the person who asked is not reminded. The caller runs this once per
 * request (the inbox), so a redelivered request reminds nobody twice.
 */
export async function remindUndecided(
  manager: EntityManager,
  outbox: Outbox,
  request: { pollId: number; actorId: number },
): Promise<ReminderOutcome> {
  const [poll] = (await manager.query(
    `SELECT id, author_id, group_id, discussion_id, closed_at, discarded_at FROM polls WHERE id = $1`,
    [request.pollId],
  )) as {
    author_id: string;
    group_id: string | null;
    discussion_id: string | null;
    closed_at: Date | null;
    discarded_at: Date | null;
  }[];
  if (!poll || poll.discarded_at) return { reminded: false, reason: 'poll-not-found' };
  if (poll.closed_at) return { reminded: false, reason: 'poll-closed' };
  const undecided = await closingSoonRecipients(manager, {
    id: request.pollId,
    authorId: Number(poll.author_id),
    groupId: poll.group_id === null ? null : Number(poll.group_id),
    discussionId: poll.discussion_id === null ? null : Number(poll.discussion_id),
    notify: 2,
  });
  const recipients = {
    email: undecided.email.filter((id) => id !== request.actorId),
    inApp: undecided.inApp.filter((id) => id !== request.actorId),
  };
  if (recipients.email.length === 0 && recipients.inApp.length === 0) {
    return { reminded: false, reason: 'nobody-undecided' };
  }
  const eventId = await appendThreadEvent(manager, {
    kind: 'poll_reminder',
    eventableType: 'Poll',
    eventableId: request.pollId,
    userId: request.actorId,
    // A notice to people, not a thread item: it takes no sequence id.
    discussionId: null,
  });
  await outbox.publish(manager, 'events.poll.reminded', {
    pollId: request.pollId,
    eventId,
    actorId: request.actorId,
    recipients,
  });
  return { reminded: true, eventId, recipients };
}
