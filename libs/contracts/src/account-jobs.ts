import { z } from 'zod';
import { defineJob } from './contract';
import { Id } from './ids';

/* Jobs about people's accounts, run by the janitor. */

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
