import type { EntityManager } from 'typeorm';

/** Loomio's volumes: 0 mute, 1 quiet (in-app only), 2 normal, 3 loud. */
export const Volume = { mute: 0, quiet: 1, normal: 2, loud: 3 } as const;

export interface Recipients {
  email: number[];
  inApp: number[];
}

/**
 * Who hears that a poll closes soon, by `notify_on_closing_soon`: 0 nobody; 1 the author, by e-mail only;
 * 2 holders of a latest, non-revoked stance not yet cast; 3 holders of any latest, non-revoked stance.
 * Members without a stance are not told. Each person's volume is the first one set among their stance,
 * their discussion reader and their membership, else normal; e-mail needs normal or louder, in-app quiet
 * or louder. Deactivated users hear nothing.
 */
export async function closingSoonRecipients(
  manager: EntityManager,
  poll: { id: number; authorId: number; groupId: number | null; discussionId: number | null; notify: number },
): Promise<Recipients> {
  if (poll.notify === 0) return { email: [], inApp: [] };
  const people =
    poll.notify === 1
      ? `SELECT u.id AS user_id, s.volume AS stance_volume FROM users u
         LEFT JOIN stances s ON s.poll_id = $1 AND s.participant_id = u.id AND s.latest AND s.revoked_at IS NULL
         WHERE u.id = $4`
      : `SELECT s.participant_id AS user_id, s.volume AS stance_volume FROM stances s
         WHERE s.poll_id = $1 AND s.latest AND s.revoked_at IS NULL AND s.participant_id IS NOT NULL
           ${poll.notify === 2 ? 'AND s.cast_at IS NULL' : ''}`;
  const rows = (await manager.query(
    `SELECT p.user_id,
            COALESCE(p.stance_volume, r.volume, m.volume, ${Volume.normal}) AS volume
     FROM (${people}) p
     JOIN users u ON u.id = p.user_id AND u.deactivated_at IS NULL
     LEFT JOIN discussion_readers r ON r.discussion_id = $2 AND r.user_id = p.user_id
     LEFT JOIN memberships m ON m.group_id = $3 AND m.user_id = p.user_id
     ORDER BY p.user_id`,
    poll.notify === 1
      ? [poll.id, poll.discussionId, poll.groupId, poll.authorId]
      : [poll.id, poll.discussionId, poll.groupId],
  )) as { user_id: string | number; volume: number }[];
  const email: number[] = [];
  const inApp: number[] = [];
  for (const row of rows) {
    const userId = Number(row.user_id);
    if (row.volume >= Volume.normal) email.push(userId);
    // The author option is e-mail only (SPEC).
    if (poll.notify !== 1 && row.volume >= Volume.quiet) inApp.push(userId);
  }
  return { email, inApp };
}
