import type { DataSource } from 'typeorm';
import { TombstoneUsername } from './user-destruction';

/**
 * cleanup-inactive: accounts created by an invitation that was never taken up — unverified, never signed in,
 * older than the cut-off — are deleted with their pending invitations. An account that left any other trace
 * (an accepted membership, a vote, anything authored or assigned) is kept: it is not inactive, only quiet.
 * Each batch of users is one transaction; the next run carries on with what is left.
 */
export class InactiveAccounts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  async deleteCreatedBefore(cutoff: Date, afterBatch?: () => void): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.dataSource.transaction(async (manager) => {
        const ids = (
          (await manager.query(
            `SELECT u.id FROM users u
             WHERE NOT u.email_verified AND u.sign_in_count = 0 AND u.last_sign_in_at IS NULL
               AND u.current_sign_in_at IS NULL AND u.created_at < $1
               -- The tombstone of destroyed users never signs in, and rows point at it.
               AND NOT (u.username IS NOT DISTINCT FROM $3::varchar AND u.email IS NULL)
               AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.accepted_at IS NOT NULL)
               AND NOT EXISTS (SELECT 1 FROM stances s WHERE s.participant_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM discussions d WHERE d.author_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.author_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM polls p WHERE p.author_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.author_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.author_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM tasks_users tu WHERE tu.user_id = u.id)
             ORDER BY u.id LIMIT $2 FOR UPDATE OF u SKIP LOCKED`,
            [cutoff, this.batchSize, TombstoneUsername],
          )) as { id: string }[]
        ).map((row) => row.id);
        if (ids.length === 0) return 0;
        const invitations = `SELECT id FROM memberships WHERE user_id = ANY($1) AND accepted_at IS NULL`;
        await manager.query(
          `DELETE FROM notifications WHERE user_id = ANY($1) OR event_id IN (
             SELECT id FROM events WHERE eventable_type = 'Membership' AND eventable_id IN (${invitations}))`,
          [ids],
        );
        await manager.query(
          `DELETE FROM events WHERE eventable_type = 'Membership' AND eventable_id IN (${invitations})`,
          [ids],
        );
        await manager.query(
          `DELETE FROM versions WHERE (item_type = 'Membership' AND item_id IN (${invitations}))
             OR (item_type = 'User' AND item_id = ANY($1))`,
          [ids],
        );
        for (const table of ['memberships', 'discussion_readers', 'login_tokens', 'identities']) {
          await manager.query(`DELETE FROM ${table} WHERE user_id = ANY($1)`, [ids]);
        }
        await manager.query(`DELETE FROM membership_requests WHERE requestor_id = ANY($1)`, [ids]);
        await manager.query(`UPDATE mail_deliveries SET to_address = NULL WHERE recipient_id = ANY($1)`, [
          ids,
        ]);
        await manager.query(`DELETE FROM users WHERE id = ANY($1)`, [ids]);
        return ids.length;
      });
      total += deleted;
      afterBatch?.();
      if (deleted < this.batchSize) return total;
    }
  }
}
