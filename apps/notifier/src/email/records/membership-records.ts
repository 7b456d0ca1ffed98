import type { MailKind } from '@lib/contracts';
import { UnrecoverableError } from '@lib/jetstream';
import { notFound, userNameOf, type MailKindDefinition } from '../mail-records';

interface MembershipRow {
  user_id: string;
  group_id: string;
  inviter_id: string | null;
  token: string | null;
  accepted_at: Date | null;
  revoked_at: Date | null;
  group_name: string | null;
  group_archived_at: Date | null;
}

type MembershipKinds = Extract<
  MailKind,
  'membership_invitation' | 'invitation_accepted' | 'group_destroy_warning'
>;

async function loadMembership(
  manager: Parameters<MailKindDefinition['load']>[0]['manager'],
  membershipId: number,
): Promise<MembershipRow | undefined> {
  const [membership] = (await manager.query(
    `SELECT m.user_id, m.group_id, m.inviter_id, m.token, m.accepted_at, m.revoked_at,
            g.name AS group_name, g.archived_at AS group_archived_at
     FROM memberships m LEFT JOIN groups g ON g.id = m.group_id
     WHERE m.id = $1`,
    [membershipId],
  )) as MembershipRow[];
  return membership && membership.group_name !== null ? membership : undefined;
}

export const MembershipMailKinds: Record<MembershipKinds, MailKindDefinition> = {
  membership_invitation: {
    recordType: 'Membership',
    mailsUnverified: true,
    async load({ manager, recordId, recipient, appUrl }) {
      const membership = await loadMembership(manager, recordId);
      if (!membership) return notFound;
      if (Number(membership.user_id) !== recipient.id) {
        throw new UnrecoverableError(`Membership ${recordId} does not belong to user ${recipient.id}`);
      }
      if (membership.revoked_at || membership.group_archived_at) {
        return { found: false, reason: 'record_discarded' };
      }
      if (membership.accepted_at) return { found: false, reason: 'invitation_already_accepted' };
      return {
        found: true,
        data: {
          groupName: membership.group_name,
          inviterName: await userNameOf(manager, membership.inviter_id),
          invitationUrl: membership.token
            ? `${appUrl}/invitations/${encodeURIComponent(membership.token)}`
            : `${appUrl}/dashboard`,
        },
      };
    },
  },
  invitation_accepted: {
    recordType: 'Membership',
    async load({ manager, recordId, recipient, appUrl }) {
      const membership = await loadMembership(manager, recordId);
      if (!membership) return notFound;
      if (membership.inviter_id === null || Number(membership.inviter_id) !== recipient.id) {
        throw new UnrecoverableError(
          `User ${recipient.id} did not send the invitation of membership ${recordId}`,
        );
      }
      if (membership.revoked_at || membership.group_archived_at) {
        return { found: false, reason: 'record_discarded' };
      }
      return {
        found: true,
        data: {
          memberName: await userNameOf(manager, membership.user_id),
          groupName: membership.group_name,
          groupUrl: `${appUrl}/g/${membership.group_id}`,
        },
      };
    },
  },
  /** The janitor archives the group, then mails each admin: an archived group is the normal case here. */
  group_destroy_warning: {
    recordType: 'Group',
    async load({ manager, recordId, recipient }) {
      const [row] = (await manager.query(
        `SELECT g.name, EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id AND m.user_id = $2 AND m.admin)
                AS is_admin
         FROM groups g WHERE g.id = $1`,
        [recordId, recipient.id],
      )) as { name: string; is_admin: boolean }[];
      if (!row) return notFound;
      if (!row.is_admin) return { found: false, reason: 'not_group_admin' };
      return { found: true, data: { groupName: row.name } };
    },
  },
};
