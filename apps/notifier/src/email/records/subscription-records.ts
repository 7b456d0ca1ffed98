import type { MailKind } from '@lib/contracts';
import { formatMoment, notFound, type MailKindDefinition } from '../mail-records';

export const SubscriptionMailKinds: Record<Extract<MailKind, 'subscription_expired'>, MailKindDefinition> = {
  /** Sent by the janitor's check-subscriptions to each admin once the group is marked expired. */
  subscription_expired: {
    recordType: 'Group',
    async load({ manager, recordId, recipient, locale, appUrl }) {
      const [row] = (await manager.query(
        `SELECT g.name, g.subscription_expires_at, g.subscription_expired_at,
                EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id AND m.user_id = $2 AND m.admin
                          AND m.accepted_at IS NOT NULL AND m.revoked_at IS NULL) AS is_admin
         FROM groups g WHERE g.id = $1`,
        [recordId, recipient.id],
      )) as {
        name: string;
        subscription_expires_at: Date | null;
        subscription_expired_at: Date | null;
        is_admin: boolean;
      }[];
      if (!row) return notFound;
      if (!row.is_admin) return { found: false, reason: 'not_group_admin' };
      // Renewed since it was marked: the mail would be wrong by now.
      if (!row.subscription_expired_at || !row.subscription_expires_at) {
        return { found: false, reason: 'subscription_renewed' };
      }
      return {
        found: true,
        data: {
          groupName: row.name,
          groupUrl: `${appUrl}/g/${recordId}`,
          expiresAt: formatMoment(row.subscription_expires_at, locale, recipient.timeZone),
        },
      };
    },
  },
};
