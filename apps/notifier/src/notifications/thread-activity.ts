import type { EntityManager } from 'typeorm';
import type {
  CommentCreated,
  DiscussionCreated,
  OutcomeCreated,
  PayloadOf,
  PollCreated,
  UserMentioned,
} from '@lib/contracts';
import { fanOut } from './activity-fanout';
import {
  loadActivity,
  loadComment,
  loadDiscussion,
  loadMentionedRecord,
  loadPoll,
  userName,
  type ThreadRecord,
} from './activity-records';
import { addressedPeople, everyoneInScope, mentionedPeople, threadParticipants } from './audiences';
import { combine, type NotifyOutcome } from './notify-outcome';

/** new_discussion: everyone who can see the thread, by volume. */
export function notifyDiscussionCreated(
  manager: EntityManager,
  event: PayloadOf<typeof DiscussionCreated>,
): Promise<NotifyOutcome> {
  return notifyEveryoneWhoCanSee(manager, event, () => loadDiscussion(manager, event.discussionId), {
    kind: 'new_discussion',
    recordType: 'Discussion',
    recordId: event.discussionId,
  });
}

/**
 * new_comment: the author of the comment replied to (comment_replied_to, by volume), then the thread's other
 * participants (see `threadParticipants`). Each person hears of the comment once.
 */
export async function notifyCommentCreated(
  manager: EntityManager,
  event: PayloadOf<typeof CommentCreated>,
): Promise<NotifyOutcome> {
  const activity = await loadActivity(manager, event.eventId);
  const comment = await loadComment(manager, event.commentId);
  if (!comment || comment.discarded) return { notified: false, reason: 'record_discarded' };
  const { thread } = comment;
  const translationValues = { name: await userName(manager, event.actorId), title: thread.title };
  const mail = { recordType: 'Comment' as const, recordId: event.commentId };
  const parentAuthors = comment.parentAuthorId === null ? [] : [comment.parentAuthorId];
  const replies = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: 'comment_replied_to',
      url: thread.path,
      translationValues,
      mail: { ...mail, kind: 'comment_replied_to' },
    },
    addressedPeople(thread.scope, parentAuthors),
  );
  const participants = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: 'new_comment',
      url: thread.path,
      translationValues,
      mail: { ...mail, kind: 'new_comment' },
      excludeUserIds: parentAuthors,
    },
    threadParticipants(thread.scope),
  );
  return { notified: true, activity, groupId: thread.scope.groupId, report: combine(replies, participants) };
}

/** poll_created: everyone who can see the poll (members, guests, invited voters), by volume. */
export function notifyPollCreated(
  manager: EntityManager,
  event: PayloadOf<typeof PollCreated>,
): Promise<NotifyOutcome> {
  return notifyEveryoneWhoCanSee(manager, event, () => loadPoll(manager, event.pollId), {
    kind: 'poll_created',
    recordType: 'Poll',
    recordId: event.pollId,
  });
}

/** outcome_created: everyone who can see the poll, by volume (a meeting's mail carries its .ics). */
export function notifyOutcomeCreated(
  manager: EntityManager,
  event: PayloadOf<typeof OutcomeCreated>,
): Promise<NotifyOutcome> {
  return notifyEveryoneWhoCanSee(manager, event, () => loadPoll(manager, event.pollId), {
    kind: 'outcome_created',
    recordType: 'Outcome',
    recordId: event.outcomeId,
  });
}

/**
 * The shape of new_discussion, poll_created and outcome_created: the activity row must exist (else the event
 * is retried), a discarded record tells nobody, and everyone who can see the record hears of it by volume,
 * in-app and by a mail of the same kind.
 */
async function notifyEveryoneWhoCanSee(
  manager: EntityManager,
  event: { eventId: number; actorId: number },
  loadRecord: () => Promise<ThreadRecord | undefined>,
  mail: {
    kind: 'new_discussion' | 'poll_created' | 'outcome_created';
    recordType: 'Discussion' | 'Poll' | 'Outcome';
    recordId: number;
  },
): Promise<NotifyOutcome> {
  const activity = await loadActivity(manager, event.eventId);
  const record = await loadRecord();
  if (!record || record.discarded) return { notified: false, reason: 'record_discarded' };
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: mail.kind,
      url: record.path,
      translationValues: { name: await userName(manager, event.actorId), title: record.title },
      mail,
    },
    everyoneInScope(record.scope),
  );
  return { notified: true, activity, groupId: record.scope.groupId, report };
}

/** user_mentioned: the mentioned people who can see the record; e-mail if they keep mention mails on. */
export async function notifyUserMentioned(
  manager: EntityManager,
  event: PayloadOf<typeof UserMentioned>,
): Promise<NotifyOutcome> {
  const activity = await loadActivity(manager, event.eventId);
  const record = await loadMentionedRecord(manager, event.recordType, event.recordId);
  if (!record || record.discarded) return { notified: false, reason: 'record_discarded' };
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: 'user_mentioned',
      url: record.path,
      translationValues: { name: await userName(manager, event.actorId), title: record.title },
      mail: { kind: 'user_mentioned', recordType: 'Event', recordId: activity.id },
    },
    mentionedPeople(record.scope, event.mentionedUserIds),
  );
  return { notified: true, activity, groupId: record.scope.groupId, report };
}
