import { z } from 'zod';
import { defineJob } from './contract';
import { IsoTimestamp } from './ids';

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
