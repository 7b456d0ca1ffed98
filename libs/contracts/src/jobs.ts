import { z } from 'zod';
import { defineJob } from './contract';
import { Id, IsoTimestamp } from './ids';

/*
 * Jobs: one owning service each (`jobs.<service>.<verb-noun>`). Periodic ones are published by the cron
 * table (cron-table.ts); others by services, the outbox or the CLI.
 */

export const PruneProcessedMessages = defineJob({
  subject: 'jobs.janitor.prune-processed-messages',
  description: 'Delete inbox marks (processed_messages) older than their retention.',
  schema: z.object({ olderThanDays: z.number().int().min(1).max(3650).default(7) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 15 * 60_000 },
});

export const CloseExpiredPolls = defineJob({
  subject: 'jobs.poller.close-expired-polls',
  description: 'Close every poll whose closing time has passed, each in its own transaction.',
  schema: z.object({}),
  // One run at a time is enough: a second would only compete for the same rows.
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const AnnounceClosingSoon = defineJob({
  subject: 'jobs.poller.announce-closing-soon',
  description: 'Announce the polls closing in the hour that starts 24 h after `hour` (default: this hour).',
  schema: z.object({ hour: IsoTimestamp.optional() }),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

/** The e-mails the notifier has templates for; a new kind needs its templates before it is listed here. */
export const MailKinds = ['poll_closing_soon', 'poll_closed', 'membership_invitation'] as const;
export type MailKind = (typeof MailKinds)[number];

export const DeliverEmail = defineJob({
  subject: 'jobs.notifier.deliver-email',
  description:
    'Render and send one e-mail to one user about one record, once per `dedupeKey`, unless the user or record rules it out.',
  // Ids only: addresses and names are read at send time, so erasing a user never rewrites a stream.
  schema: z.object({
    kind: z.enum(MailKinds),
    recipientId: Id,
    recordType: z.enum(['Poll', 'Discussion', 'Comment', 'Outcome', 'Membership', 'Task']),
    recordId: Id,
    dedupeKey: z.string().min(1).max(200),
    locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/)
      .optional(),
  }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 60_000 },
});
