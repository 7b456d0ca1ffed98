import { z } from 'zod';
import { defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id, IsoTimestamp } from './ids';

/* The notifier: notifications, e-mail, digests, reminders, webhooks/chatbots. */

/** The e-mails the notifier has templates for; a new kind needs its templates before it is listed here. */
export const MailKinds = [
  'poll_closing_soon',
  'poll_closed',
  'poll_created',
  'poll_reminder',
  'membership_invitation',
  'invitation_accepted',
  'new_discussion',
  'new_comment',
  'comment_replied_to',
  'user_mentioned',
  'outcome_created',
  'outcome_review_due',
  'catch_up',
  'task_reminder',
  'group_destroy_warning',
  'redaction_confirmation',
  'export_ready',
  'subscription_expired',
] as const;
export type MailKind = (typeof MailKinds)[number];

/** A path of the web app (no host): letters, digits and URL punctuation only, so no name or address fits in it. */
export const LinkPath = z
  .string()
  .max(1000)
  .regex(/^\/[A-Za-z0-9/_.?=&%-]*$/, 'must be a path of the web app, e.g. /exports/12?token=abc');

export const DeliverEmail = defineJob({
  subject: 'jobs.notifier.deliver-email',
  description:
    'Render and send one e-mail to one user about one record, once per `dedupeKey`, unless the user or record rules it out.',
  // Ids only: addresses and names are read at send time, so erasing a user never rewrites a stream.
  schema: z.object({
    kind: z.enum(MailKinds),
    recipientId: Id,
    recordType: z.enum([
      'Poll',
      'Discussion',
      'Comment',
      'Outcome',
      'Membership',
      'Task',
      'Event',
      'User',
      'Group',
      'Export',
    ]),
    recordId: Id,
    dedupeKey: z.string().min(1).max(200),
    locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/)
      .optional(),
    /** export_ready only: the signed download path the exporter built, appended to APP_URL. */
    linkPath: LinkPath.optional(),
    /** catch_up only: the activity window the digest covers. */
    since: IsoTimestamp.optional(),
    until: IsoTimestamp.optional(),
  }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 60_000 },
});

export const SendCatchUpDigests = defineJob({
  subject: 'jobs.notifier.send-catch-up-digests',
  description:
    'Queue one catch-up digest per user whose local time is 6 AM and whose catch-up setting is due (`at` defaults to now).',
  schema: z.object({ at: IsoTimestamp.optional() }),
  options: { priority: 'low', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const SendTaskReminders = defineJob({
  subject: 'jobs.notifier.send-task-reminders',
  description: 'E-mail the active assignees of each task whose reminder time has passed, once per task.',
  schema: z.object({}),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const AnnounceOutcomeReviews = defineJob({
  subject: 'jobs.notifier.announce-outcome-reviews',
  description: 'Tell the author of each outcome whose review date has come, once per review date.',
  schema: z.object({}),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

export const RouteReceivedEmails = defineJob({
  subject: 'jobs.notifier.route-received-emails',
  description:
    'Post each inbound e-mail not routed yet: a reply to a notification becomes a comment, mail to a group address a discussion; spam, auto-replies and bounces are dropped with the reason recorded.',
  schema: z.object({}),
  options: { priority: 'low', maxAttempts: 10, timeoutMs: 30 * 60_000, concurrency: 1 },
});

/** Every job the notifier runs and every event it publishes (events published by the app live in events.ts). */
export const NotifierContracts = [
  DeliverEmail,
  SendCatchUpDigests,
  SendTaskReminders,
  AnnounceOutcomeReviews,
  RouteReceivedEmails,
] as const;

/** The domain events the notifier consumes (one durable consumer each). */
export const NotifierSubscriptions: readonly string[] = [
  'events.discussion.created',
  'events.comment.created',
  'events.poll.created',
  'events.poll.closed',
  'events.poll.closing-soon',
  'events.poll.reminded',
  'events.outcome.created',
  'events.user.mentioned',
  'events.membership.invited',
  'events.membership.accepted',
];

export const NotifierCronEntries: CronEntry[] = [
  {
    name: 'send-catch-up-digests',
    schedule: '0 * * * *',
    subject: 'jobs.notifier.send-catch-up-digests',
    payload: {},
    description: 'hourly :00: catch-up digests for users at 6 AM local time',
  },
  {
    name: 'send-task-reminders',
    schedule: '0 * * * *',
    subject: 'jobs.notifier.send-task-reminders',
    payload: {},
    description: 'hourly :00: remind assignees of tasks whose reminder time has passed',
  },
  {
    name: 'announce-outcome-reviews',
    schedule: '0 0 * * *',
    subject: 'jobs.notifier.announce-outcome-reviews',
    payload: {},
    description: 'daily 00:00: tell outcome authors their review date has come',
  },
  {
    name: 'route-received-emails',
    schedule: '0 * * * *',
    subject: 'jobs.notifier.route-received-emails',
    payload: {},
    description: 'hourly :00: post inbound replies and group mail into threads',
  },
];
