import { z } from 'zod';
import { defineEvent } from './contract';
import { Id, IsoTimestamp } from './ids';

/*
 * Domain events published by the web app (or by our services through the outbox). Payloads carry ids and
 * non-personal fields only, so erasing a user never has to rewrite a stream.
 */

export const PollCreated = defineEvent({
  subject: 'events.poll.created',
  description: 'A poll was started in a group or discussion.',
  schema: z.object({ pollId: Id, groupId: Id.nullable(), discussionId: Id.nullable(), actorId: Id }),
});

export const PollClosed = defineEvent({
  subject: 'events.poll.closed',
  description: 'A poll closed, because its closing time passed or someone closed it.',
  schema: z.object({ pollId: Id, reason: z.enum(['expired', 'manual']), closedAt: IsoTimestamp }),
});

export const PollClosingSoon = defineEvent({
  subject: 'events.poll.closing-soon',
  description: 'A poll closes within 24 hours; the recipients per channel were chosen by the poller.',
  schema: z.object({
    pollId: Id,
    closingAt: IsoTimestamp,
    recipients: z.object({ email: z.array(Id), inApp: z.array(Id) }),
  }),
});

export const StanceCreated = defineEvent({
  subject: 'events.stance.created',
  description: 'A participant voted (a new latest stance).',
  schema: z.object({ stanceId: Id, pollId: Id, actorId: Id }),
  consumers: ['poller'],
  options: { priority: 'high', maxAttempts: 10 },
});

export const StanceRevoked = defineEvent({
  subject: 'events.stance.revoked',
  description: 'A stance was revoked (membership removed or user deactivated).',
  schema: z.object({ stanceId: Id, pollId: Id }),
  consumers: ['poller'],
  options: { priority: 'high', maxAttempts: 10 },
});

export const StanceRestored = defineEvent({
  subject: 'events.stance.restored',
  description: 'A revoked stance counts again (its participant was reactivated).',
  schema: z.object({ stanceId: Id, pollId: Id }),
  consumers: ['poller'],
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
