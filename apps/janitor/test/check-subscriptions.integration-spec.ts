import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { waitFor } from '@lib/testing';
import { type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { SubscriptionMailKinds } from '../../notifier/src/email/records/subscription-records';
import { SubscriptionExpiry } from '../src/subscriptions/subscription-expiry';
import { startJanitorUnderTest, type JanitorUnderTest } from './janitor-under-test';
import { JanitorWorld } from './janitor-world';
import { databaseDigest, publishAndAwaitDeadLetter } from './job-harness';

const day = 24 * 3600_000;

describe('check-subscriptions (real NATS and PostgreSQL)', () => {
  let harness: JanitorUnderTest;
  let db: DataSource;
  let client: NatsConnection;
  let world: JanitorWorld;

  beforeAll(async () => {
    harness = await startJanitorUnderTest({ JANITOR_BATCH_SIZE: '2' });
    ({ db, client, world } = harness);
  });

  afterAll(() => harness?.stop());

  const mails = async () =>
    (
      (await db.query(
        `SELECT payload FROM outbox_messages WHERE subject = 'jobs.notifier.deliver-email' ORDER BY payload->>'dedupeKey'`,
      )) as { payload: Record<string, unknown> }[]
    ).map((row) => row.payload);
  const marked = async (ids: number[]) =>
    (
      (await db.query(
        `SELECT id FROM groups WHERE id = ANY($1) AND subscription_expired_at IS NOT NULL ORDER BY id`,
        [ids],
      )) as { id: string }[]
    ).map((row) => Number(row.id));

  it('marks ended paid subscriptions once, mails their current admins once, leaves the rest alone', async () => {
    const now = new Date();
    const [admin, formerAdmin, member] = [await world.user(), await world.user(), await world.user()];
    const group = (values: Record<string, unknown>) => world.insert('groups', { name: 'G', ...values });
    const ended = await group({ subscription_plan: 'pro', subscription_expires_at: new Date(+now - day) });
    const endedToo = await group({
      subscription_plan: 'trial',
      subscription_expires_at: new Date(+now - 1000),
    });
    const running = await group({ subscription_plan: 'pro', subscription_expires_at: new Date(+now + day) });
    const free = await group({ subscription_plan: 'free', subscription_expires_at: new Date(+now - day) });
    const alreadyMarked = await group({
      subscription_plan: 'standard',
      subscription_expires_at: new Date(+now - 40 * day),
      subscription_expired_at: new Date(+now - 39 * day),
    });
    const archived = await group({
      subscription_plan: 'pro',
      subscription_expires_at: new Date(+now - day),
      archived_at: new Date(+now - day),
    });
    const endedIds = [ended, endedToo, archived];
    for (const groupId of [...endedIds, running, alreadyMarked]) {
      await world.insert('memberships', { group_id: groupId, user_id: admin, admin: true, accepted_at: now });
      await world.insert('memberships', { group_id: groupId, user_id: member, accepted_at: now });
      await world.insert('memberships', {
        group_id: groupId,
        user_id: formerAdmin,
        admin: true,
        accepted_at: now,
        revoked_at: now,
      });
    }

    const expiry = new SubscriptionExpiry(db, new Outbox(Contracts, 'urn:test'), 2);
    expect(await expiry.markExpired(now)).toEqual({ expired: 3, mails: 2 });
    expect(await marked([...endedIds, running, free])).toEqual(endedIds);
    const sent = (await mails()).map((mail) => [mail.kind, mail.recipientId, mail.recordId]);
    expect(sent.sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      ['subscription_expired', admin, ended],
      ['subscription_expired', admin, endedToo],
    ]);

    // Redelivered, or run again next month: nothing more.
    const before = await databaseDigest(db);
    expect(await expiry.markExpired(new Date())).toEqual({ expired: 0, mails: 0 });
    expect(await databaseDigest(db)).toEqual(before);
    expect(await mails()).toHaveLength(2);

    // What the notifier renders from it; a renewal (stamp cleared) makes the mail moot.
    const load = (recordId: number, recipientId: number) =>
      SubscriptionMailKinds.subscription_expired.load({
        manager: db.manager,
        recordId,
        recipient: { id: recipientId, timeZone: 'UTC' } as never,
        locale: 'en',
        appUrl: 'http://app.test',
        payload: {} as never,
      });
    expect(await load(ended, admin)).toMatchObject({
      found: true,
      data: { groupName: 'G', groupUrl: `http://app.test/g/${ended}` },
    });
    expect(await load(ended, member)).toEqual({ found: false, reason: 'not_group_admin' });
    await db.query(`UPDATE groups SET subscription_expired_at = NULL WHERE id = $1`, [endedToo]);
    await db.query(`UPDATE groups SET subscription_expires_at = now() + interval '1 year' WHERE id = $1`, [
      endedToo,
    ]);
    expect(await load(endedToo, admin)).toEqual({ found: false, reason: 'subscription_renewed' });
  });

  it('runs as a job, and dead-letters a malformed request without changing anything', async () => {
    const admin = await world.user();
    const groupId = await world.insert('groups', {
      name: 'H',
      subscription_plan: 'standard',
      subscription_expires_at: new Date(Date.now() - day),
    });
    await world.insert('memberships', {
      group_id: groupId,
      user_id: admin,
      admin: true,
      accepted_at: new Date(),
    });

    const before = await databaseDigest(db);
    const letter = await publishAndAwaitDeadLetter(client, 'jobs.janitor.check-subscriptions', {
      now: 'soon',
    });
    expect(letter.header.get('Dlq-Reason')).toBe('invalid-payload');
    expect(letter.header.get('Dlq-Error')).toMatch(/now/);
    expect(await databaseDigest(db)).toEqual(before);

    await client.jetstream().publish('jobs.janitor.check-subscriptions', '{}');
    await waitFor(async () => (await marked([groupId])).length === 1);
    expect((await mails()).filter((mail) => mail.recordId === groupId)).toHaveLength(1);
  });
});
