import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { Outbox } from '@lib/db';
import type { AccountStatus } from '../accounts/account-status';
import type { SearchIndex } from '../search/search-index';
import {
  mentionsOf,
  rewriteMentions,
  rewriteName,
  rewriteStrings,
  type ErasedIdentity,
} from './copied-identity';

/** The confirmation mail's terminal states in `mail_deliveries` (the notifier's vocabulary). */
const SettledMailStatuses = ['sent', 'bounced', 'skipped'];

export const confirmationDedupeKey = (userId: number) => `redaction_confirmation:${userId}`;

export type RedactionRequest =
  { started: false; reason: 'unknown-user' | 'already-redacted' } | { started: true };

export type ErasureOutcome =
  | { erased: false; reason: 'unknown-user' | 'already-redacted' }
  | { erased: false; reason: 'waiting-for-mail'; mailStatus: string | null }
  | { erased: true; mailStatus: string | null; rewritten: Record<string, number> };

/** Rich-text columns in which mention markup copies a user's name and username. */
const RichText: readonly { table: string; column: string; reindex?: 'Discussion' | 'Comment' | 'Poll' }[] = [
  { table: 'comments', column: 'body', reindex: 'Comment' },
  { table: 'discussions', column: 'description', reindex: 'Discussion' },
  { table: 'polls', column: 'details', reindex: 'Poll' },
  { table: 'outcomes', column: 'statement' },
  { table: 'stances', column: 'reason' },
];

export interface RedactionSettings {
  /** Erase anyway once the confirmation mail has been pending this long (SMTP down for good, notifier gone). */
  maxMailWaitMs: number;
}

/**
 * GDPR erasure in two steps. `request` deactivates the account and enqueues the confirmation mail and the
 * erasure job; the notifier reads the address when it sends, so `erase` waits until the mail's delivery row
 * is final (bounded by `maxMailWaitMs`) and then, in one transaction, removes every copy of the person.
 */
export class UserRedaction {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly accounts: AccountStatus,
    private readonly search: SearchIndex,
    private readonly settings: RedactionSettings,
    private readonly logger: Logger,
  ) {}

  async request(userId: number): Promise<RedactionRequest> {
    const [user] = (await this.dataSource.query(`SELECT email FROM users WHERE id = $1`, [userId])) as {
      email: string | null;
    }[];
    if (!user) return { started: false, reason: 'unknown-user' };
    if (user.email === null) return { started: false, reason: 'already-redacted' };
    await this.accounts.deactivate(userId);
    await this.dataSource.transaction(async (manager) => {
      await this.outbox.publish(manager, 'jobs.notifier.deliver-email', {
        kind: 'redaction_confirmation',
        recipientId: userId,
        recordType: 'User',
        recordId: userId,
        dedupeKey: confirmationDedupeKey(userId),
      });
      await this.outbox.publish(manager, 'jobs.janitor.erase-user', {
        userId,
        requestedAt: new Date().toISOString(),
      });
    });
    return { started: true };
  }

  async erase(userId: number, requestedAt: Date, now = new Date()): Promise<ErasureOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const [user] = (await manager.query(
        `SELECT email, name, username FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      )) as { email: string | null; name: string | null; username: string | null }[];
      if (!user) return { erased: false, reason: 'unknown-user' } as const;
      if (user.email === null) return { erased: false, reason: 'already-redacted' } as const;
      const [mail] = (await manager.query(`SELECT status FROM mail_deliveries WHERE dedupe_key = $1`, [
        confirmationDedupeKey(userId),
      ])) as { status: string }[];
      const mailStatus = mail?.status ?? null;
      const settled = mailStatus !== null && SettledMailStatuses.includes(mailStatus);
      if (!settled && now.getTime() - requestedAt.getTime() < this.settings.maxMailWaitMs) {
        return { erased: false, reason: 'waiting-for-mail', mailStatus } as const;
      }
      if (!settled)
        this.logger.warn({ userId, mailStatus }, 'confirmation mail not settled in time; erasing anyway');
      const rewritten = await this.eraseCopies(manager, userId, { ...user, email: user.email });
      await this.eraseAccount(manager, userId, user.email);
      await this.outbox.publish(manager, 'events.user.redacted', { userId });
      return { erased: true, mailStatus, rewritten } as const;
    });
  }

  private async eraseAccount(manager: EntityManager, userId: number, email: string): Promise<void> {
    await manager.query(
      `UPDATE users SET
         name = NULL, email = NULL, username = NULL, initials = NULL, api_key = NULL, email_api_key = NULL,
         secret_token = NULL, authentication_token = NULL, remember_token = NULL, encrypted_password = NULL,
         reset_password_token = NULL, reset_password_sent_at = NULL, avatar_kind = 'initials',
         uploaded_avatar_key = NULL, city = NULL, region = NULL, country = NULL, current_sign_in_ip = NULL,
         last_sign_in_ip = NULL, legal_accepted_at = NULL, short_bio = '', location = '', email_verified = false,
         email_sha256 = $2, updated_at = now()
       WHERE id = $1`,
      [userId, createHash('sha256').update(email.trim().toLowerCase()).digest('hex')],
    );
  }

  /** Rows about the person and the places their name, username or address was copied to. */
  private async eraseCopies(
    manager: EntityManager,
    userId: number,
    user: ErasedIdentity & { email: string },
  ): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const run = async (label: string, sql: string, params: unknown[]) => {
      const [, affected] = (await manager.query(sql, params)) as [unknown, number];
      if (affected > 0) counts[label] = affected;
    };
    const email = user.email.trim().toLowerCase();
    await run('identities', `DELETE FROM identities WHERE user_id = $1 OR lower(email) = $2`, [
      userId,
      email,
    ]);
    await run(
      'membership_requests',
      `DELETE FROM membership_requests WHERE requestor_id = $1 OR lower(email) = $2`,
      [userId, email],
    );
    await run('login_tokens', `DELETE FROM login_tokens WHERE user_id = $1`, [userId]);
    await run(
      'versions',
      `DELETE FROM versions WHERE whodunnit = $1 OR (item_type = 'User' AND item_id = $1)`,
      [userId],
    );
    await run(
      'mail_deliveries',
      `UPDATE mail_deliveries SET to_address = NULL, updated_at = now()
       WHERE (recipient_id = $1 OR lower(to_address) = $2) AND to_address IS NOT NULL`,
      [userId, email],
    );
    counts.notifications = await this.rewriteNotifications(manager, userId, user);
    const mentions = mentionsOf(user);
    if (mentions.length === 0) return counts;
    for (const { table, column, reindex } of RichText) {
      const changed = await this.rewriteText(manager, table, column, mentions, (text) =>
        rewriteMentions(text, user),
      );
      if (changed.length > 0) counts[`${table}.${column}`] = changed.length;
      if (reindex === 'Comment') await this.search.syncComments(changed, manager);
      if (reindex === 'Discussion') await this.search.syncDiscussions(changed, manager);
      if (reindex === 'Poll') await this.search.syncPolls(changed, manager);
    }
    // Other people's audit trail of those records holds the old markup too.
    const versions = await this.rewriteText(manager, 'versions', 'object_changes', mentions, (text) =>
      rewriteMentions(text, user),
    );
    if (versions.length > 0) counts['versions.object_changes'] = versions.length;
    return counts;
  }

  /** The name copied into the notifications about what this user did (`actor_id`). */
  private async rewriteNotifications(
    manager: EntityManager,
    userId: number,
    user: ErasedIdentity,
  ): Promise<number> {
    if (!user.name?.trim()) return 0;
    const changed = await this.rewriteRows(
      manager,
      'notifications',
      'translation_values',
      'actor_id = $1',
      [userId],
      (text) => rewriteName(text, user),
    );
    return changed.length;
  }

  /** Rows of `table` whose text or JSON `column` contains one of `needles`, rewritten; returns their ids. */
  private rewriteText(
    manager: EntityManager,
    table: string,
    column: string,
    needles: string[],
    rewrite: (text: string) => string,
  ): Promise<number[]> {
    // In a JSON column the quotes of the markup are escaped.
    const forms = [...new Set(needles.flatMap((needle) => [needle, JSON.stringify(needle).slice(1, -1)]))];
    return this.rewriteRows(
      manager,
      table,
      column,
      `EXISTS (SELECT 1 FROM unnest($1::text[]) needle WHERE strpos(${column}::text, needle) > 0)`,
      [forms],
      rewrite,
    );
  }

  /**
   * Applies `rewrite` to every string of `column` in the rows matching `where` (its parameters `$1`...),
   * a few hundred rows at a time, so a prolific user does not load their whole history at once.
   */
  private async rewriteRows(
    manager: EntityManager,
    table: string,
    column: string,
    where: string,
    params: unknown[],
    rewrite: (text: string) => string,
  ): Promise<number[]> {
    const after = `$${params.length + 1}`;
    const changed: number[] = [];
    for (let last = 0; ;) {
      const rows = (await manager.query(
        `SELECT id, ${column} AS value FROM ${table} WHERE (${where}) AND id > ${after} ORDER BY id LIMIT 500`,
        [...params, last],
      )) as { id: string; value: unknown }[];
      if (rows.length === 0) return changed;
      for (const row of rows) {
        const rewritten = rewriteStrings(row.value, rewrite);
        if (JSON.stringify(rewritten) === JSON.stringify(row.value)) continue;
        await manager.query(`UPDATE ${table} SET ${column} = $2 WHERE id = $1`, [
          row.id,
          typeof rewritten === 'string' ? rewritten : JSON.stringify(rewritten),
        ]);
        changed.push(Number(row.id));
      }
      last = Number(rows[rows.length - 1].id);
    }
  }
}
