import { z } from 'zod';
import { defineJob } from './contract';
import type { CronEntry } from './cron';
import { IsoTimestamp } from './ids';

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

/** Every job the poller runs and every event it publishes (events published by the app live in events.ts). */
export const PollerContracts = [CloseExpiredPolls, AnnounceClosingSoon] as const;

/** The domain events the poller consumes (one durable consumer each). */
export const PollerSubscriptions: readonly string[] = [
  'events.stance.created',
  'events.stance.revoked',
  'events.stance.restored',
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
