import type { DataSource, EntityManager } from 'typeorm';
import type { Outbox } from '@lib/db';

export type AccountChange =
  { changed: false } | { changed: true; at: Date; stances: { id: number; pollId: number }[] };

/**
 * Deactivation and reactivation as one reversible pair: deactivation stamps every row it revokes with the
 * user's `deactivated_at`, and reactivation restores exactly the rows carrying that stamp, so rows revoked
 * earlier, for other reasons, stay revoked. (Loomio restored memberships only, leaving readers and stances
 * revoked.)
 */
export class AccountStatus {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  /** One transaction; a user already deactivated (or unknown) is left alone. */
  async deactivate(userId: number): Promise<AccountChange> {
    return this.dataSource.transaction(async (manager) => {
      const [user] = (await manager.query(
        `SELECT id FROM users WHERE id = $1 AND deactivated_at IS NULL FOR UPDATE`,
        [userId],
      )) as unknown[];
      if (!user) return { changed: false } as const;
      const [{ now }] = (await manager.query(`SELECT now() AS now`)) as { now: Date }[];
      await manager.query(
        `UPDATE memberships SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId, now],
      );
      await manager.query(
        `UPDATE discussion_readers SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId, now],
      );
      const stances = await revokeOpenPollStances(manager, userId, now);
      await manager.query(
        `DELETE FROM membership_requests WHERE requestor_id = $1 AND response IS NULL AND responded_at IS NULL`,
        [userId],
      );
      await manager.query(`UPDATE users SET deactivated_at = $2 WHERE id = $1`, [userId, now]);
      for (const stance of stances) {
        await this.outbox.publish(manager, 'events.stance.revoked', {
          stanceId: stance.id,
          pollId: stance.pollId,
        });
      }
      await this.outbox.publish(manager, 'events.user.deactivated', {
        userId,
        deactivatedAt: new Date(now).toISOString(),
      });
      return { changed: true, at: now, stances } as const;
    });
  }

  /** Restores the rows revoked at the moment of deactivation, and nothing else. */
  async reactivate(userId: number): Promise<AccountChange> {
    return this.dataSource.transaction(async (manager) => {
      const [user] = (await manager.query(
        `SELECT deactivated_at FROM users WHERE id = $1 AND deactivated_at IS NOT NULL FOR UPDATE`,
        [userId],
      )) as { deactivated_at: Date }[];
      if (!user) return { changed: false } as const;
      const at = user.deactivated_at;
      await manager.query(`UPDATE memberships SET revoked_at = NULL WHERE user_id = $1 AND revoked_at = $2`, [
        userId,
        at,
      ]);
      await manager.query(
        `UPDATE discussion_readers SET revoked_at = NULL WHERE user_id = $1 AND revoked_at = $2`,
        [userId, at],
      );
      const stances = (
        (await manager.query(
          `UPDATE stances SET revoked_at = NULL WHERE participant_id = $1 AND revoked_at = $2 RETURNING id, poll_id`,
          [userId, at],
        )) as [{ id: string; poll_id: string }[], number]
      )[0].map((row) => ({ id: Number(row.id), pollId: Number(row.poll_id) }));
      await manager.query(`UPDATE users SET deactivated_at = NULL WHERE id = $1`, [userId]);
      for (const stance of stances) {
        await this.outbox.publish(manager, 'events.stance.restored', {
          stanceId: stance.id,
          pollId: stance.pollId,
        });
      }
      await this.outbox.publish(manager, 'events.user.reactivated', { userId });
      return { changed: true, at, stances } as const;
    });
  }
}

async function revokeOpenPollStances(
  manager: EntityManager,
  userId: number,
  now: Date,
): Promise<{ id: number; pollId: number }[]> {
  const [rows] = (await manager.query(
    `UPDATE stances s SET revoked_at = $2
     FROM polls p
     WHERE s.participant_id = $1 AND s.revoked_at IS NULL
       AND p.id = s.poll_id AND p.closed_at IS NULL AND p.discarded_at IS NULL
     RETURNING s.id, s.poll_id`,
    [userId, now],
  )) as [{ id: string; poll_id: string }[], number];
  return rows.map((row) => ({ id: Number(row.id), pollId: Number(row.poll_id) }));
}
