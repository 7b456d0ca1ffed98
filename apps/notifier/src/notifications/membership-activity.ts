import type { EntityManager } from 'typeorm';
import {
  AnnouncementDelivered,
  Contracts,
  type MembershipAccepted,
  type MembershipInvited,
  type PayloadOf,
} from '@lib/contracts';
import { JobBatches } from '@lib/jetstream';
import { fanOut } from './activity-fanout';
import { loadActivity, userName } from './activity-records';
import { addressedPeople, invitees } from './audiences';
import type { NotifyOutcome } from './notify-outcome';

async function groupName(manager: EntityManager, groupId: number): Promise<string | undefined> {
  const [row] = (await manager.query(`SELECT name FROM groups WHERE id = $1 AND archived_at IS NULL`, [
    groupId,
  ])) as { name: string }[];
  return row?.name;
}

/**
 * membership_invitation: each invitee of a still pending membership, in-app and by e-mail (the invitation
 * mail goes to unverified addresses too: it is how they get verified). The mails form a batch: once each is
 * sent or dead, one `events.announcement.delivered` says how many of each.
 */
export async function notifyMembershipInvited(
  manager: EntityManager,
  event: PayloadOf<typeof MembershipInvited>,
): Promise<NotifyOutcome> {
  const activity = await loadActivity(manager, event.eventId);
  const group = await groupName(manager, event.groupId);
  if (group === undefined) return { notified: false, reason: 'record_discarded' };
  const mailBatch = await new JobBatches(manager.connection, Contracts, 'notifier').open(
    manager,
    `announcement:${event.eventId}`,
    {
      onComplete: {
        subject: AnnouncementDelivered.subject,
        payload: { groupId: event.groupId, eventId: event.eventId },
      },
    },
  );
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: 'membership_invitation',
      url: `/g/${event.groupId}`,
      translationValues: { name: await userName(manager, event.actorId), title: group },
      // Each invitee's own membership, from the audience.
      mail: { kind: 'membership_invitation', recordType: 'Membership', recordId: event.membershipIds[0] },
      mailBatch,
    },
    invitees(event.groupId, event.membershipIds),
  );
  await mailBatch.seal();
  return { notified: true, activity, groupId: event.groupId, report };
}

/** invitation_accepted: whoever sent the invitation, by their volume in the group, if still a member. */
export async function notifyMembershipAccepted(
  manager: EntityManager,
  event: PayloadOf<typeof MembershipAccepted>,
): Promise<NotifyOutcome> {
  const activity = await loadActivity(manager, event.eventId);
  const group = await groupName(manager, event.groupId);
  const [membership] = (await manager.query(
    `SELECT inviter_id FROM memberships WHERE id = $1 AND group_id = $2 AND revoked_at IS NULL`,
    [event.membershipId, event.groupId],
  )) as { inviter_id: string | null }[];
  if (group === undefined || !membership) return { notified: false, reason: 'record_discarded' };
  if (membership.inviter_id === null) return { notified: false, reason: 'no_inviter' };
  const report = await fanOut(
    manager,
    {
      eventId: activity.id,
      actorId: event.actorId,
      kind: 'invitation_accepted',
      url: `/g/${event.groupId}`,
      translationValues: { name: await userName(manager, event.actorId), title: group },
      mail: { kind: 'invitation_accepted', recordType: 'Membership', recordId: event.membershipId },
    },
    addressedPeople({ groupId: event.groupId, discussionId: null, pollId: null }, [
      Number(membership.inviter_id),
    ]),
  );
  return { notified: true, activity, groupId: event.groupId, report };
}
