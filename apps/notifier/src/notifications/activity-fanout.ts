import type { EntityManager } from 'typeorm';
import { DeliverEmail, type MailKind } from '@lib/contracts';
import type { OpenBatch } from '@lib/jetstream';
import { deliverEmailJobId, enqueueEmails, type DeliverEmailJob } from './email-jobs';

/**
 * Who may hear of an activity: SQL yielding `(user_id, in_app boolean, email boolean, record_id bigint)` rows,
 * built by the audiences in `audiences.ts`, which apply the volume rules. A user may appear in several rows
 * (a member who is also a guest); the channels are then or-ed. `record_id` (may be NULL) overrides the mail's
 * record for that user, e.g. each invitee's own membership.
 */
export interface Audience {
  sql: string;
  params: unknown[];
}

export interface ActivityNotice {
  /** The `events` row the notifications hang off. */
  eventId: number;
  /** Whoever did it is never notified of their own activity; null when nobody acted (a poll expiring). */
  actorId: number | null;
  /** The notification kind (Loomio's): new_comment, poll_created, ... */
  kind: string;
  /** The web app path the notification opens. */
  url: string;
  translationValues: Record<string, unknown>;
  mail: { kind: MailKind; recordType: DeliverEmailJob['recordType']; recordId: number } | null;
  /** Users already notified of this activity under another kind (a reply's parent author). */
  excludeUserIds?: number[];
  /** The batch the mails join, for a callback once all of them are sent or dead (announcements). */
  mailBatch?: OpenBatch;
}

export interface FanoutReport {
  inApp: number;
  email: number;
}

export const FanoutBatchSize = 1000;

interface RecipientRow {
  user_id: string;
  in_app: boolean;
  email: boolean;
  record_id: string | null;
}

/**
 * Writes the in-app notifications and queues one deliver-email job per recipient, a page of recipients at a
 * time (keyset on the user id), so a group of many thousands is never one list in memory nor one statement.
 * Runs in the caller's transaction, which also holds the inbox mark: a redelivered event writes nothing twice.
 * Deactivated users and the actor are left out here, whatever the audience says.
 */
export async function fanOut(
  manager: EntityManager,
  notice: ActivityNotice,
  audience: Audience,
  batchSize = FanoutBatchSize,
): Promise<FanoutReport> {
  const report: FanoutReport = { inApp: 0, email: 0 };
  const n = audience.params.length;
  const sql = `
    SELECT a.user_id, a.in_app, a.email, a.record_id FROM (
      SELECT user_id, bool_or(in_app) AS in_app, bool_or(email) AS email, max(record_id) AS record_id
      FROM (${audience.sql}) candidates
      WHERE user_id IS NOT NULL
      GROUP BY user_id
    ) a
    JOIN users u ON u.id = a.user_id AND u.deactivated_at IS NULL
    WHERE a.user_id > $${n + 1} AND a.user_id IS DISTINCT FROM $${n + 2}::bigint
      AND NOT (a.user_id = ANY($${n + 3}::bigint[])) AND (a.in_app OR a.email)
    ORDER BY a.user_id LIMIT $${n + 4}`;
  let after = 0;
  for (;;) {
    const rows = (await manager.query(sql, [
      ...audience.params,
      after,
      notice.actorId,
      notice.excludeUserIds ?? [],
      batchSize,
    ])) as RecipientRow[];
    const inApp = rows.filter((row) => row.in_app).map((row) => Number(row.user_id));
    await writeNotifications(manager, notice, inApp);
    report.inApp += inApp.length;
    if (notice.mail) {
      const mail = notice.mail;
      const jobs = rows
        .filter((row) => row.email)
        .map((row): DeliverEmailJob => {
          const recordId = row.record_id === null ? mail.recordId : Number(row.record_id);
          return {
            kind: mail.kind,
            recipientId: Number(row.user_id),
            recordType: mail.recordType,
            recordId,
            dedupeKey: `${mail.kind}:${notice.eventId}:${recordId}:${row.user_id}`,
          };
        });
      if (notice.mailBatch) {
        await notice.mailBatch.add(
          jobs.map((job) => ({ subject: DeliverEmail.subject, payload: job, id: deliverEmailJobId(job) })),
        );
      } else {
        await enqueueEmails(manager, jobs);
      }
      report.email += jobs.length;
    }
    if (rows.length < batchSize) return report;
    after = Number(rows[rows.length - 1].user_id);
  }
}

async function writeNotifications(manager: EntityManager, notice: ActivityNotice, userIds: number[]) {
  if (userIds.length === 0) return;
  await manager.query(
    `INSERT INTO notifications (user_id, event_id, actor_id, kind, url, translation_values)
     SELECT user_id, $2, $3, $4, $5, $6 FROM unnest($1::bigint[]) AS recipients(user_id)`,
    [
      userIds,
      notice.eventId,
      notice.actorId,
      notice.kind,
      notice.url,
      JSON.stringify(notice.translationValues),
    ],
  );
}
