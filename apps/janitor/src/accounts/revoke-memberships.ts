import type { DataSource } from 'typeorm';

/**
 * revoke-memberships: memberships still active although their user is deactivated (joined while the
 * deactivation ran, or written by an older app version) are revoked at the user's `deactivated_at`, the stamp
 * reactivation restores by, in committed batches.
 */
export class RevokeMemberships {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  async revokeOfDeactivatedUsers(afterBatch?: () => void): Promise<number> {
    let total = 0;
    for (;;) {
      const [, revoked] = (await this.dataSource.query(
        `UPDATE memberships m SET revoked_at = u.deactivated_at, updated_at = now()
         FROM users u
         WHERE m.id IN (
           SELECT m2.id FROM memberships m2 JOIN users u2 ON u2.id = m2.user_id
           WHERE m2.revoked_at IS NULL AND u2.deactivated_at IS NOT NULL LIMIT $1)
           AND u.id = m.user_id`,
        [this.batchSize],
      )) as [unknown, number];
      total += revoked;
      afterBatch?.();
      if (revoked < this.batchSize) return total;
    }
  }
}
