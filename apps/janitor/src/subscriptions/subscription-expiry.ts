import type { DataSource } from 'typeorm';
import type { Outbox } from '@lib/db';

/** Plans that are paid for and so can run out; 'free' never expires. */
export const PaidPlans = ['trial', 'standard', 'pro'] as const;

export interface ExpiryReport {
  expired: number;
  mails: number;
}

/**
 * check-subscriptions: groups on a paid plan whose `subscription_expires_at` has passed are stamped
 * `subscription_expired_at` and each of their admins gets one `subscription_expired` mail, in the same
 * transaction (the mail goes through the outbox), so a group is marked and mailed exactly once: a redelivered
 * or concurrent run finds it marked and skips it. A renewal (the web app clears the stamp and moves the
 * expiry) re-arms it, and the next expiry mails again under a new dedupe key.
 */
export class SubscriptionExpiry {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly batchSize = 1000,
  ) {}

  async markExpired(now: Date, afterBatch?: () => void): Promise<ExpiryReport> {
    const report: ExpiryReport = { expired: 0, mails: 0 };
    for (;;) {
      const batch = await this.dataSource.transaction(async (manager) => {
        const groups = (await manager.query(
          `UPDATE groups SET subscription_expired_at = $1, updated_at = now()
           WHERE id IN (
             SELECT id FROM groups
             WHERE subscription_expired_at IS NULL AND subscription_expires_at IS NOT NULL
               AND subscription_expires_at <= $1 AND subscription_plan = ANY($2)
             ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING id, subscription_expires_at, archived_at`,
          [now, PaidPlans, this.batchSize],
        )) as [{ id: string; subscription_expires_at: Date; archived_at: Date | null }[], number];
        let mails = 0;
        for (const group of groups[0]) {
          // An archived group is on its way out; its admins were told so already.
          if (group.archived_at) continue;
          const admins = (await manager.query(
            `SELECT DISTINCT user_id FROM memberships
             WHERE group_id = $1 AND admin AND accepted_at IS NOT NULL AND revoked_at IS NULL ORDER BY user_id`,
            [group.id],
          )) as { user_id: string }[];
          const period = new Date(group.subscription_expires_at).getTime();
          for (const admin of admins) {
            await this.outbox.publish(manager, 'jobs.notifier.deliver-email', {
              kind: 'subscription_expired',
              recipientId: Number(admin.user_id),
              recordType: 'Group',
              recordId: Number(group.id),
              dedupeKey: `subscription_expired:${group.id}:${period}:${admin.user_id}`,
            });
            mails += 1;
          }
        }
        return { expired: groups[0].length, mails };
      });
      report.expired += batch.expired;
      report.mails += batch.mails;
      afterBatch?.();
      if (batch.expired < this.batchSize) return report;
    }
  }
}
