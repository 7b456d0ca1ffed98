import { z } from 'zod';
import { defineJob } from './contract';

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
