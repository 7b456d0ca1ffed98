import type { MailKind } from '@lib/contracts';
import { loadComment, loadDiscussion, loadMentionedRecord } from '../../notifications/activity-records';
import { meetingInvite } from '../meeting-invite';
import { formatDay, formatMoment, notFound, userNameOf, type MailKindDefinition } from '../mail-records';
import { loadPollRow, pollVariables } from './poll-records';

type ThreadKinds = Extract<
  MailKind,
  | 'new_discussion'
  | 'new_comment'
  | 'comment_replied_to'
  | 'user_mentioned'
  | 'outcome_created'
  | 'outcome_review_due'
>;

interface OutcomeRow {
  id: string;
  poll_id: string;
  author_id: string;
  review_on: string | null;
  event_summary: string | null;
  event_location: string | null;
  poll_type: string;
  chosen: string | null;
}

const commentMail: MailKindDefinition = {
  recordType: 'Comment',
  async load({ manager, recordId, appUrl }) {
    const comment = await loadComment(manager, recordId);
    if (!comment) return notFound;
    if (comment.discarded) return { found: false, reason: 'record_discarded' };
    return {
      found: true,
      replyThreadId: comment.thread.scope.discussionId ?? undefined,
      data: {
        actorName: await userNameOf(manager, comment.authorId),
        title: comment.thread.title,
        url: `${appUrl}${comment.thread.path}`,
      },
    };
  },
};

export const ThreadMailKinds: Record<ThreadKinds, MailKindDefinition> = {
  new_discussion: {
    recordType: 'Discussion',
    async load({ manager, recordId, appUrl }) {
      const discussion = await loadDiscussion(manager, recordId);
      if (!discussion) return notFound;
      if (discussion.discarded) return { found: false, reason: 'record_discarded' };
      return {
        found: true,
        replyThreadId: recordId,
        data: {
          actorName: await userNameOf(manager, discussion.authorId),
          title: discussion.title,
          url: `${appUrl}${discussion.path}`,
        },
      };
    },
  },
  new_comment: commentMail,
  comment_replied_to: commentMail,
  user_mentioned: {
    recordType: 'Event',
    async load({ manager, recordId, appUrl }) {
      const [event] = (await manager.query(
        `SELECT user_id, eventable_type, eventable_id FROM events WHERE id = $1`,
        [recordId],
      )) as { user_id: string | null; eventable_type: string | null; eventable_id: string | null }[];
      const types = ['Discussion', 'Comment', 'Poll', 'Outcome', 'Stance'] as const;
      const type = types.find((candidate) => candidate === event?.eventable_type);
      if (!event || !type || event.eventable_id === null) return notFound;
      const record = await loadMentionedRecord(manager, type, Number(event.eventable_id));
      if (!record) return notFound;
      if (record.discarded) return { found: false, reason: 'record_discarded' };
      return {
        found: true,
        data: {
          actorName: await userNameOf(manager, event.user_id),
          title: record.title,
          url: `${appUrl}${record.path}`,
        },
      };
    },
  },
  outcome_created: {
    recordType: 'Outcome',
    async load({ manager, recordId, recipient, locale, appUrl }) {
      const outcome = await loadOutcome(manager, recordId);
      if (!outcome) return notFound;
      const poll = await loadPollRow(manager, outcome.poll_id);
      if (!poll.found) return poll;
      const variables = pollVariables(poll.row, appUrl);
      const invite =
        outcome.poll_type === 'meeting' && outcome.chosen !== null
          ? meetingInvite(
              {
                outcomeId: Number(outcome.id),
                chosen: outcome.chosen,
                summary: outcome.event_summary || poll.row.title,
                location: outcome.event_location || null,
                url: String(variables.pollUrl),
                uidDomain: new URL(appUrl).hostname,
              },
              new Date(),
            )
          : undefined;
      const meetingAt =
        invite && outcome.chosen ? meetingMoment(outcome.chosen, locale, recipient.timeZone) : '';
      return {
        found: true,
        data: { ...variables, actorName: await userNameOf(manager, outcome.author_id), meetingAt },
        attachments: invite ? [invite] : [],
      };
    },
  },
  outcome_review_due: {
    recordType: 'Outcome',
    async load({ manager, recordId, locale, appUrl }) {
      const outcome = await loadOutcome(manager, recordId);
      if (!outcome) return notFound;
      const poll = await loadPollRow(manager, outcome.poll_id);
      if (!poll.found) return poll;
      return {
        found: true,
        data: {
          ...pollVariables(poll.row, appUrl),
          reviewOn: outcome.review_on ? formatDay(outcome.review_on, locale) : '',
        },
      };
    },
  },
};

async function loadOutcome(
  manager: Parameters<MailKindDefinition['load']>[0]['manager'],
  outcomeId: number,
): Promise<OutcomeRow | undefined> {
  const [row] = (await manager.query(
    `SELECT o.id, o.poll_id, o.author_id, o.review_on::text AS review_on, o.event_summary, o.event_location,
            p.poll_type, option.name AS chosen
     FROM outcomes o
     JOIN polls p ON p.id = o.poll_id
     LEFT JOIN poll_options option ON option.id = o.poll_option_id AND option.poll_id = o.poll_id
     WHERE o.id = $1`,
    [outcomeId],
  )) as OutcomeRow[];
  return row;
}

function meetingMoment(chosen: string, locale: string, timeZone: string | null): string {
  const trimmed = chosen.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return formatDay(trimmed, locale);
  return formatMoment(new Date(trimmed), locale, timeZone);
}
