import type { DataSource } from 'typeorm';

export type RedeemOutcome =
  | { redeemed: true }
  | { redeemed: false; reason: 'unknown-membership' | 'not-pending' | 'unknown-user' | 'already-member' };

/**
 * accept-membership: redeems a pending invitation (not accepted, not revoked) for a user, without
 * notifying anyone. The invitation may have been made out to a placeholder account (an invited address); it
 * then passes to the user, unless the user is already a member of that group, in which case the redundant
 * invitation is removed.
 */
export class MembershipRedemption {
  constructor(private readonly dataSource: DataSource) {}

  redeem(membershipId: number, userId: number): Promise<RedeemOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const [membership] = (await manager.query(
        `SELECT group_id, user_id, accepted_at, revoked_at FROM memberships WHERE id = $1 FOR UPDATE`,
        [membershipId],
      )) as { group_id: string; user_id: string; accepted_at: Date | null; revoked_at: Date | null }[];
      if (!membership) return { redeemed: false, reason: 'unknown-membership' } as const;
      if (membership.accepted_at || membership.revoked_at)
        return { redeemed: false, reason: 'not-pending' } as const;
      const [user] = (await manager.query(`SELECT id FROM users WHERE id = $1`, [userId])) as unknown[];
      if (!user) return { redeemed: false, reason: 'unknown-user' } as const;
      if (Number(membership.user_id) !== userId) {
        const [existing] = (await manager.query(
          `SELECT id FROM memberships WHERE group_id = $1 AND user_id = $2 FOR UPDATE`,
          [membership.group_id, userId],
        )) as unknown[];
        if (existing) {
          await manager.query(`DELETE FROM memberships WHERE id = $1`, [membershipId]);
          return { redeemed: false, reason: 'already-member' } as const;
        }
      }
      await manager.query(
        `UPDATE memberships SET user_id = $2, accepted_at = now(), updated_at = now() WHERE id = $1`,
        [membershipId, userId],
      );
      return { redeemed: true } as const;
    });
  }
}
