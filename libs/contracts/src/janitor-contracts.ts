import { z } from 'zod';
import { defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id } from './ids';

/* The janitor: destroy, deactivate/reactivate, GDPR redaction, cleanup, the search index. */

export const PruneProcessedMessages = defineJob({
  subject: 'jobs.janitor.prune-processed-messages',
  description: 'Delete inbox marks (processed_messages) older than their retention.',
  schema: z.object({ olderThanDays: z.number().int().min(1).max(3650).default(7) }),
  options: { priority: 'low', maxAttempts: 5, timeoutMs: 15 * 60_000 },
});

export const DeactivateUser = defineJob({
  subject: 'jobs.janitor.deactivate-user',
  description:
    'Deactivate an account: revoke its memberships, discussion readers and stances in open polls, drop its pending membership requests.',
  schema: z.object({ userId: Id, actorId: Id.optional() }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

export const ReactivateUser = defineJob({
  subject: 'jobs.janitor.reactivate-user',
  description: 'Reactivate an account: restore exactly the rows its deactivation revoked.',
  schema: z.object({ userId: Id, actorId: Id.optional() }),
  options: { priority: 'high', maxAttempts: 10, timeoutMs: 10 * 60_000 },
});

/** Every job the janitor runs and every event it publishes (events published by the app live in events.ts). */
export const JanitorContracts = [PruneProcessedMessages, DeactivateUser, ReactivateUser] as const;

/** The domain events the janitor consumes (one durable consumer each). */
export const JanitorSubscriptions: readonly string[] = [];

export const JanitorCronEntries: CronEntry[] = [
  {
    name: 'prune-processed-messages',
    schedule: '0 0 * * *',
    subject: 'jobs.janitor.prune-processed-messages',
    payload: { olderThanDays: 7 },
    description: 'daily 00:00: forget inbox marks older than 7 days',
  },
];
