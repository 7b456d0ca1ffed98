import { z } from 'zod';
import { defineEvent } from './contract';
import { Id, IsoTimestamp } from './ids';

/*
 * Domain events published by the web app (or by our services through the outbox). Payloads carry ids and
 * non-personal fields only, so erasing a user never has to rewrite a stream.
 */

export const PollClosed = defineEvent({
  subject: 'events.poll.closed',
  description: 'A poll closed, because its closing time passed or someone closed it.',
  schema: z.object({
    pollId: Id,
    reason: z.enum(['expired', 'manual']),
    closedAt: IsoTimestamp,
    /** The activity row (poll_expired / poll_closed_by_user); without it the notifier finds the latest one of the poll. */
    eventId: Id.optional(),
  }),
});

export const PollClosingSoon = defineEvent({
  subject: 'events.poll.closing-soon',
  description: 'A poll closes within 24 hours; the recipients per channel were chosen by the poller.',
  schema: z.object({
    pollId: Id,
    closingAt: IsoTimestamp,
    recipients: z.object({ email: z.array(Id), inApp: z.array(Id) }),
    /** The poll_closing_soon activity row; without it the notifier finds the latest one of the poll. */
    eventId: Id.optional(),
  }),
});

export const StanceCreated = defineEvent({
  subject: 'events.stance.created',
  description: 'A participant voted (a new latest stance).',
  schema: z.object({ stanceId: Id, pollId: Id, actorId: Id }),
  options: { priority: 'high', maxAttempts: 10 },
});

export const StanceRevoked = defineEvent({
  subject: 'events.stance.revoked',
  description: 'A stance was revoked (membership removed or user deactivated).',
  schema: z.object({ stanceId: Id, pollId: Id }),
  options: { priority: 'high', maxAttempts: 10 },
});

export const StanceRestored = defineEvent({
  subject: 'events.stance.restored',
  description: 'A revoked stance counts again (its participant was reactivated).',
  schema: z.object({ stanceId: Id, pollId: Id }),
  options: { priority: 'high', maxAttempts: 10 },
});

export const UserDeactivated = defineEvent({
  subject: 'events.user.deactivated',
  description: 'An account was deactivated; its memberships, readers and open-poll stances were revoked.',
  schema: z.object({ userId: Id, deactivatedAt: IsoTimestamp }),
});

export const UserReactivated = defineEvent({
  subject: 'events.user.reactivated',
  description: 'A deactivated account was restored.',
  schema: z.object({ userId: Id }),
});

export const GroupExportRequested = defineEvent({
  subject: 'events.group.export-requested',
  description: 'A group admin asked for an export of the group.',
  schema: z.object({ groupId: Id, requestedBy: Id, format: z.enum(['jsonl', 'csv']) }),
});

/*
 * Thread and membership activity. The web app writes the activity row (`events` table) in the same
 * transaction as the change and publishes its id with the event, as Loomio's `Event.publish!` did; the
 * notifier hangs notifications off that row and posts it to the group's chatbots.
 */

const Activity = {
  /** The `events` row (the thread item / activity log entry) the app wrote for this change. */
  eventId: Id,
  actorId: Id,
  /** Chatbots named explicitly by the author, in addition to those subscribed to the event's kind. */
  recipientChatbotIds: z.array(Id).max(100).optional(),
};

export const PollCreated = defineEvent({
  subject: 'events.poll.created',
  description: 'A poll was started in a group or discussion (activity kind poll_created).',
  schema: z.object({ ...Activity, pollId: Id, groupId: Id.nullable(), discussionId: Id.nullable() }),
});

export const DiscussionCreated = defineEvent({
  subject: 'events.discussion.created',
  description: 'A discussion thread was started (activity kind new_discussion).',
  schema: z.object({ ...Activity, discussionId: Id, groupId: Id.nullable() }),
});

export const DiscussionUpdated = defineEvent({
  subject: 'events.discussion.updated',
  description: 'A discussion title or description was edited (activity kind discussion_edited).',
  schema: z.object({ ...Activity, discussionId: Id }),
});

export const DiscussionDiscarded = defineEvent({
  subject: 'events.discussion.discarded',
  description: 'A discussion was moved to the trash (soft delete).',
  schema: z.object({ discussionId: Id, actorId: Id }),
});

export const CommentCreated = defineEvent({
  subject: 'events.comment.created',
  description: 'A comment was posted in a discussion (activity kind new_comment).',
  schema: z.object({ ...Activity, commentId: Id, discussionId: Id, parentId: Id.nullable() }),
});

export const CommentUpdated = defineEvent({
  subject: 'events.comment.updated',
  description: 'A comment body was edited (activity kind comment_edited).',
  schema: z.object({ ...Activity, commentId: Id }),
});

export const CommentDiscarded = defineEvent({
  subject: 'events.comment.discarded',
  description: 'A comment was moved to the trash (soft delete).',
  schema: z.object({ commentId: Id, actorId: Id }),
});

export const PollUpdated = defineEvent({
  subject: 'events.poll.updated',
  description: 'A poll was edited (title, details, closing time, options).',
  schema: z.object({ ...Activity, pollId: Id }),
});

export const PollDiscarded = defineEvent({
  subject: 'events.poll.discarded',
  description: 'A poll was moved to the trash (soft delete).',
  schema: z.object({ pollId: Id, actorId: Id }),
});

export const OutcomeCreated = defineEvent({
  subject: 'events.outcome.created',
  description: 'The outcome of a closed poll was stated (activity kind outcome_created).',
  schema: z.object({ ...Activity, outcomeId: Id, pollId: Id }),
});

export const UserMentioned = defineEvent({
  subject: 'events.user.mentioned',
  description:
    'Users were @mentioned in a discussion, comment, poll, outcome or stance (activity kind user_mentioned).',
  schema: z.object({
    ...Activity,
    recordType: z.enum(['Discussion', 'Comment', 'Poll', 'Outcome', 'Stance']),
    recordId: Id,
    mentionedUserIds: z.array(Id).min(1).max(1000),
  }),
});

export const MembershipInvited = defineEvent({
  subject: 'events.membership.invited',
  description: 'People were invited to a group (activity kind membership_created / announcement).',
  schema: z.object({ ...Activity, groupId: Id, membershipIds: z.array(Id).min(1).max(10_000) }),
});

export const MembershipAccepted = defineEvent({
  subject: 'events.membership.accepted',
  description: 'An invitation was accepted (activity kind invitation_accepted).',
  schema: z.object({ ...Activity, membershipId: Id, groupId: Id }),
});

/** What a batch's callback job receives besides its own payload, once every member reached a final state. */
export const BatchOutcome = {
  batchId: z.uuid(),
  /** The name given when the batch was created. */
  name: z.string(),
  total: z.number().int().nonnegative(),
  /** Members that completed. */
  succeeded: z.number().int().nonnegative(),
  /** Members that failed, died (attempts or deliveries exhausted) or were cancelled. */
  failed: z.number().int().nonnegative(),
  /** The first of the failed members (at most 100). */
  failures: z
    .array(
      z.object({
        jobId: z.string(),
        subject: z.string(),
        state: z.enum(['failed', 'dead', 'cancelled']),
        error: z.string().nullable(),
      }),
    )
    .max(100),
};

export const AnnouncementDelivered = defineEvent({
  subject: 'events.announcement.delivered',
  description:
    'Every recipient mail of an announcement (membership invitation) was sent or is dead: succeeded counts the mails sent, failed the dead ones.',
  schema: z.object({ groupId: Id, eventId: Id, ...BatchOutcome }),
});
