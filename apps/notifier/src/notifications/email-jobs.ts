import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  cloudEventHeaders,
  DeliverEmail,
  newTraceParent,
  validatePayload,
  type PayloadOf,
} from '@lib/contracts';

export type DeliverEmailJob = PayloadOf<typeof DeliverEmail>;

/**
 * Queues deliver-email jobs through the outbox in one statement per batch (a fan-out to thousands of members
 * is a few inserts, not thousands), in the caller's transaction. Each job's message id is derived from its
 * dedupe key, so the stream also drops a second copy of the same mail while it is inside its window.
 */
export async function enqueueEmails(manager: EntityManager, jobs: DeliverEmailJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const ids: string[] = [];
  const headers: string[] = [];
  const payloads: string[] = [];
  for (const job of jobs) {
    const payload = validatePayload(DeliverEmail, job);
    ids.push(randomUUID());
    headers.push(
      JSON.stringify(
        cloudEventHeaders({
          id: deliverEmailJobId(job),
          subject: DeliverEmail.subject,
          source: 'notifier',
          traceparent: newTraceParent(),
        }),
      ),
    );
    payloads.push(JSON.stringify(payload));
  }
  await manager.query(
    `INSERT INTO outbox_messages (id, subject, headers, payload, deliver_at)
     SELECT id, $2, h, p, now() FROM unnest($1::uuid[], $3::jsonb[], $4::jsonb[]) AS j(id, h, p)`,
    [ids, DeliverEmail.subject, headers, payloads],
  );
}

/** Derived from the dedupe key, so the stream drops a second copy of the same mail inside its window. */
export function deliverEmailJobId(job: DeliverEmailJob): string {
  return `deliver-email:${job.dedupeKey}`;
}
