import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { BatchDeleter, type DeletionReport, type DestroyHooks } from '../destroy/batch-delete';
import { DestroyRoots, UserDependencies } from '../destroy/dependency-graph';

/** The one account that stands in for every destroyed author; mentions of erased users read `@deleted-user`. */
export const TombstoneUsername = 'deleted-user';
const TombstoneName = 'Deleted user';

/**
 * Authorship: these columns keep pointing at a user, now the tombstone, so threads, polls and their activity
 * keep their shape and read "Deleted user" (most are NOT NULL, and one shared author renders the same way
 * everywhere).
 */
const AuthoredBy: readonly { table: string; column: string }[] = [
  { table: 'discussions', column: 'author_id' },
  { table: 'comments', column: 'author_id' },
  { table: 'polls', column: 'author_id' },
  { table: 'outcomes', column: 'author_id' },
  { table: 'tasks', column: 'author_id' },
  { table: 'documents', column: 'author_id' },
  { table: 'attachments', column: 'author_id' },
  { table: 'chatbots', column: 'author_id' },
  { table: 'imports', column: 'author_id' },
  { table: 'exports', column: 'requester_id' },
  { table: 'events', column: 'user_id' },
  { table: 'notifications', column: 'actor_id' },
  { table: 'search_documents', column: 'author_id' },
];

/** Provenance that only said who did something to someone else's row: it becomes unknown (NULL). */
const ClearedReferences: readonly { table: string; column: string }[] = [
  { table: 'groups', column: 'creator_id' },
  { table: 'memberships', column: 'inviter_id' },
  { table: 'discussion_readers', column: 'inviter_id' },
  { table: 'stances', column: 'inviter_id' },
  { table: 'membership_requests', column: 'responder_id' },
  // The vote stays in the poll's results; it no longer says whose it was.
  { table: 'stances', column: 'participant_id' },
  { table: 'mail_deliveries', column: 'recipient_id' },
];

export class UserNotDeactivatedError extends Error {}

export type UserDestructionOutcome =
  | { destroyed: false; reason: 'unknown user' }
  | { destroyed: true; tombstoneId: number; reassigned: Record<string, number>; deleted: DeletionReport };

/**
 * destroy-user: hard delete of a deactivated account. Authored content is re-pointed at the tombstone and
 * references are cleared in committed batches, then the batch deleter removes the user's own rows and, last,
 * the user. Nothing records progress: every step selects what still points at the user, so a run killed at any
 * point is redelivered and carries on, and a run after the end finds no user and does nothing.
 */
export class UserDestruction {
  private readonly deleter: BatchDeleter;

  constructor(
    private readonly dataSource: DataSource,
    logger: Logger,
    private readonly batchSize = 1000,
  ) {
    this.deleter = new BatchDeleter(dataSource, logger, batchSize, UserDependencies);
  }

  async destroy(userId: number, hooks: DestroyHooks = {}): Promise<UserDestructionOutcome> {
    const [user] = (await this.dataSource.query(
      `SELECT deactivated_at, username, email FROM users WHERE id = $1`,
      [userId],
    )) as { deactivated_at: Date | null; username: string | null; email: string | null }[];
    if (!user) return { destroyed: false, reason: 'unknown user' };
    if (!user.deactivated_at) {
      throw new UserNotDeactivatedError(
        `User ${userId} is active: deactivate the account before destroying it`,
      );
    }
    if (user.username === TombstoneUsername && user.email === null) {
      throw new UserNotDeactivatedError(
        `User ${userId} is the tombstone of destroyed users; it is never destroyed`,
      );
    }
    const tombstoneId = await this.tombstone();
    const reassigned: Record<string, number> = {};
    let batches = 0;
    const step = async (name: string, statement: string, value: number | null) => {
      for (;;) {
        hooks.signal?.throwIfAborted();
        const [, updated] = (await this.dataSource.query(statement, [userId, value, this.batchSize])) as [
          unknown,
          number,
        ];
        if (updated > 0) reassigned[name] = (reassigned[name] ?? 0) + updated;
        if (updated === 0) break;
        batches += 1;
        await hooks.afterBatch?.({ table: name, deleted: 0, batches });
        if (updated < this.batchSize) break;
      }
    };
    for (const { table, column } of AuthoredBy) {
      await step(`${table}.${column}`, reassignStatement(table, column), tombstoneId);
    }
    // Before recipient_id is cleared below: the address copies are found through it.
    await step(
      'mail_deliveries.to_address',
      `UPDATE mail_deliveries SET to_address = $2::varchar WHERE ctid IN (
         SELECT ctid FROM mail_deliveries WHERE recipient_id = $1 AND to_address IS NOT NULL LIMIT $3)`,
      null,
    );
    for (const { table, column } of ClearedReferences) {
      await step(`${table}.${column}`, reassignStatement(table, column), null);
    }
    const deleted = await this.deleter.destroy(DestroyRoots.user, userId, hooks);
    return { destroyed: true, tombstoneId, reassigned, deleted };
  }

  /** The tombstone account, created on first use: no e-mail, no way to sign in, deactivated. */
  async tombstone(): Promise<number> {
    await this.dataSource.query(
      `INSERT INTO users (name, username, initials, email_verified, deactivated_at)
       VALUES ($1, $2, 'DU', false, now()) ON CONFLICT (username) DO NOTHING`,
      [TombstoneName, TombstoneUsername],
    );
    const [row] = (await this.dataSource.query(`SELECT id, email FROM users WHERE username = $1`, [
      TombstoneUsername,
    ])) as { id: string; email: string | null }[];
    if (row.email !== null) {
      throw new Error(
        `The tombstone username "${TombstoneUsername}" belongs to a real account (user ${row.id})`,
      );
    }
    return Number(row.id);
  }
}

/** `$1` the user, `$2` the new value, `$3` the batch size; picks rows by ctid so every table works alike. */
function reassignStatement(table: string, column: string): string {
  return `UPDATE ${table} SET ${column} = $2 WHERE ctid IN (
    SELECT ctid FROM ${table} WHERE ${column} = $1 LIMIT $3)`;
}
