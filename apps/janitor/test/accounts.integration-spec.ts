import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { PollWorld } from '../../poller/test/poll-world';
import { AccountStatus } from '../src/accounts/account-status';

describe('deactivate-user and reactivate-user (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: PollWorld;
  let accounts: AccountStatus;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new PollWorld(db);
    accounts = new AccountStatus(db, new Outbox(Contracts, 'urn:test'));
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function revokedAt(table: string, id: number): Promise<Date | null> {
    const [row] = await db.query(`SELECT revoked_at FROM ${table} WHERE id = $1`, [id]);
    return row.revoked_at;
  }

  it('revokes what was active, keeps what was revoked before, and restores exactly its own revocations', async () => {
    const userId = await world.user();
    const author = await world.user();
    const [groupA, groupB] = [await world.group(), await world.group()];
    const activeMembership = await world.membership(groupA, userId);
    const oldMembership = await world.membership(groupB, userId);
    const earlier = new Date(Date.now() - 86_400_000);
    await db.query('UPDATE memberships SET revoked_at = $2 WHERE id = $1', [oldMembership, earlier]);
    const discussion = await world.discussion(groupA, author);
    const reader = await world.reader(discussion, userId);
    const openPoll = await world.poll({
      authorId: author,
      groupId: groupA,
      closingAt: new Date(Date.now() + 3_600_000),
    });
    const closedPoll = await world.poll({
      authorId: author,
      groupId: groupA,
      closingAt: new Date(Date.now() - 3_600_000),
      closedAt: new Date(Date.now() - 3_000_000),
    });
    const openStance = await world.stance({ pollId: openPoll, userId, cast: true });
    const closedStance = await world.stance({ pollId: closedPoll, userId, cast: true });
    await db.query(`INSERT INTO membership_requests (group_id, requestor_id) VALUES ($1, $2), ($1, $2)`, [
      groupB,
      userId,
    ]);
    await db.query(
      `UPDATE membership_requests SET response = 'approved', responded_at = now()
       WHERE id = (SELECT min(id) FROM membership_requests WHERE requestor_id = $1)`,
      [userId],
    );

    const deactivation = await accounts.deactivate(userId);
    expect(deactivation.changed).toBe(true);
    const [user] = await db.query('SELECT deactivated_at FROM users WHERE id = $1', [userId]);
    const at = new Date(user.deactivated_at).getTime();
    expect(new Date((await revokedAt('memberships', activeMembership))!).getTime()).toBe(at);
    expect(new Date((await revokedAt('memberships', oldMembership))!).getTime()).toBe(earlier.getTime());
    expect(new Date((await revokedAt('discussion_readers', reader))!).getTime()).toBe(at);
    expect(new Date((await revokedAt('stances', openStance))!).getTime()).toBe(at);
    expect(await revokedAt('stances', closedStance)).toBeNull();
    const requests = await db.query('SELECT response FROM membership_requests WHERE requestor_id = $1', [
      userId,
    ]);
    expect(requests).toEqual([{ response: 'approved' }]);
    expect((await world.outbox('events.stance.revoked')).map((m) => m.payload)).toEqual([
      { stanceId: openStance, pollId: openPoll },
    ]);
    expect((await world.outbox('events.user.deactivated')).map((m) => m.payload.userId)).toEqual([userId]);
    expect((await accounts.deactivate(userId)).changed).toBe(false);

    const reactivation = await accounts.reactivate(userId);
    expect(reactivation.changed).toBe(true);
    expect(await revokedAt('memberships', activeMembership)).toBeNull();
    expect(new Date((await revokedAt('memberships', oldMembership))!).getTime()).toBe(earlier.getTime());
    expect(await revokedAt('discussion_readers', reader)).toBeNull();
    expect(await revokedAt('stances', openStance)).toBeNull();
    expect(
      (await db.query('SELECT deactivated_at FROM users WHERE id = $1', [userId]))[0].deactivated_at,
    ).toBeNull();
    expect((await world.outbox('events.stance.restored')).map((m) => m.payload)).toEqual([
      { stanceId: openStance, pollId: openPoll },
    ]);
    expect((await accounts.reactivate(userId)).changed).toBe(false);
  });
});
