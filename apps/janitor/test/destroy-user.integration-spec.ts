import { waitFor } from '@lib/testing';
import { type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { TombstoneUsername, UserDestruction } from '../src/accounts/user-destruction';
import { startJanitorUnderTest, type JanitorUnderTest } from './janitor-under-test';
import { JanitorWorld } from './janitor-world';
import { databaseDigest, publishAndAwaitDeadLetter } from './job-harness';

const quiet = pino({ level: 'silent' });

/** Every column that names a user. */
const UserColumns: [string, string][] = [
  ['memberships', 'user_id'],
  ['memberships', 'inviter_id'],
  ['membership_requests', 'requestor_id'],
  ['membership_requests', 'responder_id'],
  ['discussions', 'author_id'],
  ['discussion_readers', 'user_id'],
  ['discussion_readers', 'inviter_id'],
  ['comments', 'author_id'],
  ['polls', 'author_id'],
  ['stances', 'participant_id'],
  ['stances', 'inviter_id'],
  ['outcomes', 'author_id'],
  ['events', 'user_id'],
  ['notifications', 'user_id'],
  ['notifications', 'actor_id'],
  ['tasks', 'author_id'],
  ['tasks_users', 'user_id'],
  ['chatbots', 'author_id'],
  ['login_tokens', 'user_id'],
  ['identities', 'user_id'],
  ['documents', 'author_id'],
  ['attachments', 'author_id'],
  ['versions', 'whodunnit'],
  ['exports', 'requester_id'],
  ['imports', 'author_id'],
  ['mail_deliveries', 'recipient_id'],
  ['search_documents', 'author_id'],
  ['groups', 'creator_id'],
];

describe('destroy-user (real NATS and PostgreSQL)', () => {
  let harness: JanitorUnderTest;
  let db: DataSource;
  let client: NatsConnection;
  let world: JanitorWorld;

  beforeAll(async () => {
    harness = await startJanitorUnderTest({ JANITOR_BATCH_SIZE: '4' });
    ({ db, client, world } = harness);
  });

  afterAll(() => harness?.stop());

  const count = async (sql: string, params: unknown[]): Promise<number> =>
    Number(((await db.query(sql, params)) as { n: string }[])[0].n);

  async function referencesTo(userId: number): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const [table, column] of UserColumns) {
      const n = await count(`SELECT count(*) AS n FROM ${table} WHERE ${column} = $1`, [userId]);
      if (n > 0) found[`${table}.${column}`] = n;
    }
    const own = await count(`SELECT count(*) AS n FROM versions WHERE item_type = 'User' AND item_id = $1`, [
      userId,
    ]);
    if (own > 0) found['versions.item_id'] = own;
    return found;
  }

  /** A member who wrote, voted, was invited and notified across a group tree, then was deactivated. */
  async function deactivatedMember(
    admin: number,
  ): Promise<{ member: number; content: Record<string, number> }> {
    const member = await world.user({ email: `m${Date.now()}${Math.random()}@example.org` });
    await world.groupTree(admin, member, 2);
    await world.insert('identities', { user_id: member, identity_type: 'google', uid: `g-${member}` });
    await world.insert('login_tokens', { user_id: member, token: `t-${member}`, code: 123456 });
    await world.insert('versions', {
      item_type: 'User',
      item_id: member,
      event: 'update',
      whodunnit: member,
    });
    await world.insert('mail_deliveries', {
      recipient_id: member,
      to_address: 'x@example.org',
      kind: 'k',
      dedupe_key: `k-${member}`,
    });
    await db.query(`UPDATE memberships SET inviter_id = $1 WHERE user_id = $2`, [member, admin]);
    await db.query(`UPDATE users SET deactivated_at = now() WHERE id = $1`, [member]);
    const content = {
      comments: await count(`SELECT count(*) AS n FROM comments WHERE author_id = $1`, [member]),
      stances: await count(`SELECT count(*) AS n FROM stances WHERE participant_id = $1`, [member]),
    };
    return { member, content };
  }

  it('deletes the person, keeps what they wrote under the tombstone, and changes nothing when run again', async () => {
    const admin = await world.user({ email: 'admin@example.org' });
    const { member, content } = await deactivatedMember(admin);
    expect(content.comments).toBeGreaterThan(0);
    const adminMemberships = await count(`SELECT count(*) AS n FROM memberships WHERE user_id = $1`, [admin]);
    const commentsBefore = await count(`SELECT count(*) AS n FROM comments`, []);
    const stancesBefore = await count(`SELECT count(*) AS n FROM stances`, []);

    const outcome = await new UserDestruction(db, quiet, 4).destroy(member);

    expect(outcome.destroyed).toBe(true);
    if (!outcome.destroyed) return;
    expect(await count(`SELECT count(*) AS n FROM users WHERE id = $1`, [member])).toBe(0);
    expect(await referencesTo(member)).toEqual({});
    // Threads stay whole: comments and votes are all there, re-pointed or anonymous.
    expect(await count(`SELECT count(*) AS n FROM comments`, [])).toBe(commentsBefore);
    expect(
      await count(`SELECT count(*) AS n FROM comments WHERE author_id = $1`, [outcome.tombstoneId]),
    ).toBe(content.comments);
    expect(await count(`SELECT count(*) AS n FROM stances`, [])).toBe(stancesBefore);
    expect(await count(`SELECT count(*) AS n FROM stances WHERE participant_id IS NULL`, [])).toBe(
      content.stances,
    );
    expect(await count(`SELECT count(*) AS n FROM memberships WHERE user_id = $1`, [admin])).toBe(
      adminMemberships,
    );
    expect(await count(`SELECT count(*) AS n FROM mail_deliveries WHERE to_address IS NOT NULL`, [])).toBe(0);
    const [tombstone] = await db.query(`SELECT username, email, deactivated_at FROM users WHERE id = $1`, [
      outcome.tombstoneId,
    ]);
    expect(tombstone).toMatchObject({ username: TombstoneUsername, email: null });
    expect(tombstone.deactivated_at).not.toBeNull();

    // Redelivery: the user is gone, nothing else moves.
    const before = await databaseDigest(db);
    expect(await new UserDestruction(db, quiet, 4).destroy(member)).toEqual({
      destroyed: false,
      reason: 'unknown user',
    });
    expect(await databaseDigest(db)).toEqual(before);
  });

  it('resumes after a crash between batches and reaches the same end', async () => {
    const admin = await world.user({ email: 'admin2@example.org' });
    const { member, content } = await deactivatedMember(admin);
    const destruction = new UserDestruction(db, quiet, 2);
    await expect(
      destruction.destroy(member, {
        afterBatch: ({ batches }) => {
          if (batches === 7) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await count(`SELECT count(*) AS n FROM users WHERE id = $1`, [member])).toBe(1);
    const outcome = await destruction.destroy(member);
    expect(outcome.destroyed).toBe(true);
    expect(await referencesTo(member)).toEqual({});
    const tombstone = outcome.destroyed ? outcome.tombstoneId : 0;
    expect(await count(`SELECT count(*) AS n FROM users WHERE username = $1`, [TombstoneUsername])).toBe(1);
    expect(
      await count(`SELECT count(*) AS n FROM comments WHERE author_id = $1`, [tombstone]),
    ).toBeGreaterThanOrEqual(content.comments);
  });

  it('runs as a job, and dead-letters an active account with a clear reason, changing nothing', async () => {
    const admin = await world.user({ email: 'admin3@example.org' });
    const { member } = await deactivatedMember(admin);
    await client.jetstream().publish('jobs.janitor.destroy-user', JSON.stringify({ userId: member }));
    await waitFor(async () => (await count(`SELECT count(*) AS n FROM users WHERE id = $1`, [member])) === 0);
    expect(await referencesTo(member)).toEqual({});

    const active = await world.user({ email: 'active@example.org' });
    await world.groupTree(admin, active, 1);
    const before = await databaseDigest(db);
    const letter = await publishAndAwaitDeadLetter(client, 'jobs.janitor.destroy-user', { userId: active });
    expect(letter.header.get('Dlq-Reason')).toBe('unrecoverable');
    expect(letter.header.get('Dlq-Error')).toMatch(/is active: deactivate the account/);
    expect(await databaseDigest(db)).toEqual(before);

    const tombstone = Number(
      (await db.query(`SELECT id FROM users WHERE username = $1`, [TombstoneUsername]))[0].id,
    );
    const refusal = await publishAndAwaitDeadLetter(client, 'jobs.janitor.destroy-user', {
      userId: tombstone,
    });
    expect(refusal.header.get('Dlq-Error')).toMatch(/tombstone/);
    expect(await databaseDigest(db)).toEqual(before);
  });
});
