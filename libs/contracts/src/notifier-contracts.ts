import { z } from 'zod';
import { defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id } from './ids';

/* The notifier: notifications, e-mail, digests, reminders, webhooks/chatbots. */

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

/** Every job the notifier runs and every event it publishes (events published by the app live in events.ts). */
export const NotifierContracts = [DeliverEmail] as const;

/** The domain events the notifier consumes (one durable consumer each). */
export const NotifierSubscriptions: readonly string[] = [];

export const NotifierCronEntries: CronEntry[] = [];
