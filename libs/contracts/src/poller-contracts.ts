import { z } from 'zod';
import { defineEvent, defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id, IsoTimestamp } from './ids';

/* The poller: poll lifecycle (closing, closing-soon, counts). */

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

export const RecomputeStanceScores = defineJob({
  subject: 'jobs.poller.recompute-stance-scores',
  description:
    "After a poll's options changed: drop choices of removed options, recompute every stance's option scores, then the poll's counts.",
  schema: z.object({ pollId: Id }),
  options: { priority: 'default', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

/*
 * Published by the web app, consumed by the poller alone: a poll's author asked to remind the undecided.
 * The notifier hears about it through `events.poll.reminded`, once the poller chose the recipients.
 */
export const PollReminderRequested = defineEvent({
  subject: 'events.poll.reminder-requested',
  description: 'Someone asked to remind the participants of a poll who have not voted yet.',
  schema: z.object({ pollId: Id, actorId: Id }),
  options: { priority: 'high', maxAttempts: 10 },
});

export const PollReminded = defineEvent({
  subject: 'events.poll.reminded',
  description:
    'The undecided participants of a poll were chosen for a reminder (activity kind poll_reminder); recipients per channel.',
  schema: z.object({
    pollId: Id,
    eventId: Id,
    actorId: Id,
    recipients: z.object({ email: z.array(Id), inApp: z.array(Id) }),
  }),
});

/** Every job the poller runs and every event it publishes (events published by the app live in events.ts). */
export const PollerContracts = [
  CloseExpiredPolls,
  AnnounceClosingSoon,
  RecomputeStanceScores,
  PollReminderRequested,
  PollReminded,
] as const;

/** The domain events the poller consumes (one durable consumer each). */
export const PollerSubscriptions: readonly string[] = [
  'events.stance.created',
  'events.stance.revoked',
  'events.stance.restored',
  'events.poll.reminder-requested',
];

export const PollerCronEntries: CronEntry[] = [
  {
    name: 'close-expired-polls',
    schedule: '0 * * * *',
    subject: 'jobs.poller.close-expired-polls',
    payload: {},
    description: 'hourly :00: close polls whose closing time has passed',
  },
  {
    name: 'announce-closing-soon',
    schedule: '0 * * * *',
    subject: 'jobs.poller.announce-closing-soon',
    payload: {},
    description: 'hourly :00: announce polls closing in the hour that starts 24 h from now',
  },
];
