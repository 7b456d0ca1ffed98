import type { EntityManager } from 'typeorm';
import type { PayloadOf, PollClosed, PollClosingSoon, PollReminded } from '@lib/contracts';
import { fanOut } from './activity-fanout';
import { findLatestActivity, loadActivity, loadPoll, type Activity } from './activity-records';
import { chosenRecipients, pollAuthorAtNormalVolume } from './audiences';
import type { NotifyOutcome } from './notify-outcome';

/** The activity kinds a closed poll leaves: the poller's expiry, or a person closing it. */
const ClosedKinds = ['poll_expired', 'poll_closed_by_user'];

/**
 * poll_expired / poll_closed_by_user: the poll's author, at normal volume or louder (SPEC, poller). The
 * poller's event names no activity row, so the latest one of the poll is taken. Whoever closed it by hand is
 * the actor and is not told.
 */
export async function notifyPollClosed(
  manager: EntityManager,
  event: PayloadOf<typeof PollClosed>,
): Promise<NotifyOutcome> {
  const activity = await activityOf(manager, event.eventId, event.pollId, ClosedKinds);
  const poll = await loadPoll(manager, event.pollId);
  if (!poll || poll.discarded) return { notified: false, reason: 'record_discarded' };
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.reason === 'manual' ? activity.userId : null,
      kind: activity.kind,
      url: poll.path,
      translationValues: { title: poll.title },
      mail: { kind: 'poll_closed', recordType: 'Poll', recordId: event.pollId },
    },
    pollAuthorAtNormalVolume(poll.scope, poll.authorId),
  );
  return { notified: true, activity, groupId: poll.scope.groupId, report };
}

/** poll_closing_soon: the recipients the poller chose per channel. */
export async function notifyPollClosingSoon(
  manager: EntityManager,
  event: PayloadOf<typeof PollClosingSoon>,
): Promise<NotifyOutcome> {
  const activity = await activityOf(manager, event.eventId, event.pollId, ['poll_closing_soon']);
  const poll = await loadPoll(manager, event.pollId);
  if (!poll || poll.discarded) return { notified: false, reason: 'record_discarded' };
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: null,
      kind: 'poll_closing_soon',
      url: poll.path,
      translationValues: { title: poll.title },
      mail: { kind: 'poll_closing_soon', recordType: 'Poll', recordId: event.pollId },
    },
    chosenRecipients(poll.scope, event.recipients),
  );
  return { notified: true, activity, groupId: poll.scope.groupId, report };
}

/** poll_reminder: the undecided the poller chose per channel; the person who asked is not reminded. */
export async function notifyPollReminded(
  manager: EntityManager,
  event: PayloadOf<typeof PollReminded>,
): Promise<NotifyOutcome> {
  const activity = await loadActivity(manager, event.eventId);
  const poll = await loadPoll(manager, event.pollId);
  if (!poll || poll.discarded) return { notified: false, reason: 'record_discarded' };
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: 'poll_reminder',
      url: poll.path,
      translationValues: { title: poll.title },
      mail: { kind: 'poll_reminder', recordType: 'Poll', recordId: event.pollId },
    },
    chosenRecipients(poll.scope, event.recipients),
  );
  return { notified: true, activity, groupId: poll.scope.groupId, report };
}

function activityOf(
  manager: EntityManager,
  eventId: number | undefined,
  pollId: number,
  kinds: string[],
): Promise<Activity> {
  return eventId === undefined
    ? findLatestActivity(manager, { type: 'Poll', id: pollId }, kinds)
    : loadActivity(manager, eventId);
}
