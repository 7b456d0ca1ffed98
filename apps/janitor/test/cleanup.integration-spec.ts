import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import type { RunningService } from '@lib/jetstream';
import { AddressPolicy } from '@lib/outbound';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { BlockedDomains, parseDomainList } from '../src/cleanup/blocked-domains';
import { ExpirySweeps } from '../src/cleanup/expiry-sweeps';
import { InactiveAccounts } from '../src/accounts/inactive-accounts';
import { TombstoneUsername } from '../src/accounts/user-destruction';
import { OrphanSweep } from '../src/cleanup/orphan-sweep';
import { JanitorConfigSchema } from '../src/config';
import { BatchDeleter } from '../src/destroy/batch-delete';
import { DestroyRoots } from '../src/destroy/dependency-graph';
import { JanitorModule } from '../src/janitor.module';
import { JanitorWorld, type Created } from './janitor-world';

const quiet = pino({ level: 'silent' });

describe('janitor cleanups (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let janitor: RunningService;
  let client: NatsConnection;
  let world: JanitorWorld;
  let directory: string;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new JanitorWorld(db);
    directory = await mkdtemp(join(tmpdir(), 'janitor-'));
    janitor = await startServiceUnderTest({
      name: 'janitor',
      module: JanitorModule,
      configSchema: JanitorConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      env: { BLOCKED_DOMAINS_SOURCE: join(directory, 'domains.txt'), JANITOR_BATCH_SIZE: '3' },
    });
  });

  afterAll(async () => {
    await janitor?.stop();
    await servers?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const ids = async (table: string): Promise<number[]> =>
    ((await db.query(`SELECT id FROM ${table} ORDER BY id`)) as { id: string }[]).map((row) =>
      Number(row.id),
    );
  const ago = (ms: number) => new Date(Date.now() - ms);

  it('deletes login tokens and received e-mails just past their age, keeps those just under', async () => {
    const user = await world.user();
    const cutoff = ago(3600_000);
    const token = (at: Date, n: number) =>
      world.insert('login_tokens', {
        user_id: user,
        token: `t-${n}-${Math.random()}`,
        code: n,
        created_at: at,
      });
    const expired = [await token(new Date(cutoff.getTime() - 1000), 1), await token(ago(5 * 3600_000), 2)];
    const fresh = [await token(new Date(cutoff.getTime() + 1000), 3), await token(new Date(), 4)];
    for (let i = 0; i < 5; i++) expired.push(await token(ago(2 * 3600_000 + i), 10 + i));
    const sweeps = new ExpirySweeps(db, 2);
    expect(await sweeps.deleteLoginTokensCreatedBefore(cutoff)).toBe(expired.length);
    expect(await ids('login_tokens')).toEqual(fresh);

    const day = 24 * 3600_000;
    const emailCutoff = ago(60 * day);
    const oldEmail = await world.insert('received_emails', {
      created_at: new Date(emailCutoff.getTime() - 1000),
    });
    const recentEmail = await world.insert('received_emails', {
      created_at: new Date(emailCutoff.getTime() + 1000),
    });
    expect(await sweeps.deleteReceivedEmailsCreatedBefore(emailCutoff)).toBe(1);
    expect(await ids('received_emails')).toEqual([recentEmail]);
    expect(oldEmail).toBeLessThan(recentEmail);
  });

  it('runs the cron jobs through NATS with their default ages', async () => {
    const user = await world.user();
    await db.query(`DELETE FROM login_tokens; DELETE FROM received_emails`);
    const old = await world.insert('login_tokens', {
      user_id: user,
      token: 'old',
      code: 1,
      created_at: ago(61 * 60_000),
    });
    const young = await world.insert('login_tokens', {
      user_id: user,
      token: 'young',
      code: 2,
      created_at: ago(59 * 60_000),
    });
    await world.insert('received_emails', { created_at: ago(61 * 24 * 3600_000) });
    const keptEmail = await world.insert('received_emails', { created_at: ago(59 * 24 * 3600_000) });
    const js = client.jetstream();
    await js.publish('jobs.janitor.delete-expired-login-tokens', '{}');
    await js.publish('jobs.janitor.delete-old-received-emails', '{}');
    await waitFor(async () => (await ids('login_tokens')).join() === String(young));
    await waitFor(async () => (await ids('received_emails')).join() === String(keptEmail));
    expect(old).toBeLessThan(young);
  });

  it('sweeps orphans of a bare delete exactly as the batch deleter would have deleted them', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const destroyed = await world.groupTree(admin, member);
    const orphaned = await world.groupTree(admin, member);
    const countsOf = async (tree: Created) => {
      const counts: Record<string, number> = {};
      for (const [table, created] of Object.entries(tree)) {
        counts[table] = (
          (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1)`, [created])) as {
            n: number;
          }[]
        )[0].n;
      }
      return counts;
    };
    const sweep = new OrphanSweep(db, quiet, 2);
    expect(await sweep.sweep()).toEqual({});

    await new BatchDeleter(db, quiet).destroy(DestroyRoots.discussion, destroyed.discussions[0]);
    await db.query(`DELETE FROM discussions WHERE id = $1`, [orphaned.discussions[0]]);
    const swept = await sweep.sweep();
    expect(swept).toMatchObject({
      comments: 2,
      polls: 1,
      stances: 1,
      stance_choices: 1,
      notifications: expect.any(Number),
    });
    expect(await countsOf(orphaned)).toEqual(await countsOf(destroyed));

    // A whole group row gone: its subtree follows, subgroup aside (a group is not an orphan of its parent).
    await new BatchDeleter(db, quiet).destroy({ table: 'groups' }, destroyed.groups[1]);
    await db.query(`DELETE FROM groups WHERE id = $1`, [orphaned.groups[1]]);
    await sweep.sweep();
    expect(await countsOf(orphaned)).toEqual(await countsOf(destroyed));
    expect(await sweep.sweep()).toEqual({});
  });

  it('runs destroy-group, then its delayed purge-group, and destroy-comment through NATS', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const tree = await world.groupTree(admin, member, 1);
    const [groupId] = tree.groups;
    const js = client.jetstream();
    await js.publish('jobs.janitor.destroy-group', JSON.stringify({ groupId, actorId: admin }));
    const purge = await waitFor(async () => {
      const [row] = (await db.query(
        `SELECT payload, deliver_at FROM outbox_messages
         WHERE subject = 'jobs.janitor.purge-group' AND payload->>'groupId' = $1`,
        [String(groupId)],
      )) as { payload: { groupId: number; archivedAt: string }; deliver_at: Date }[];
      return row;
    });
    expect(purge.deliver_at.getTime()).toBeGreaterThan(Date.now() + 13 * 24 * 3600_000);
    const [comment] = tree.comments;
    await js.publish('jobs.janitor.destroy-comment', JSON.stringify({ commentId: comment }));
    await waitFor(async () => !(await ids('comments')).includes(comment));
    // What the relay does on day 14.
    await js.publish('jobs.janitor.purge-group', JSON.stringify(purge.payload));
    await waitFor(async () => !(await ids('groups')).some((id) => tree.groups.includes(id)));
    const left = await db.query(`SELECT count(*)::int AS n FROM discussions WHERE id = ANY($1)`, [
      tree.discussions,
    ]);
    expect(left).toEqual([{ n: 0 }]);
  });

  it('discards chatbots disabled for more than 90 days, and refuses destroy-record of a table off the list', async () => {
    const group = await world.insert('groups', { name: 'G' });
    const day = 24 * 3600_000;
    const chatbot = (disabledAt: Date | null) =>
      world.insert('chatbots', {
        group_id: group,
        name: 'b',
        kind: 'json',
        url: 'https://x',
        disabled_at: disabledAt,
      });
    const [old, recent, enabled] = [
      await chatbot(ago(91 * day)),
      await chatbot(ago(89 * day)),
      await chatbot(null),
    ];
    const js = client.jetstream();
    await js.publish('jobs.janitor.discard-old-chatbots', '{}');
    const discarded = async () =>
      (
        (await db.query(`SELECT id FROM chatbots WHERE id = ANY($1) AND discarded_at IS NOT NULL`, [
          [old, recent, enabled],
        ])) as { id: string }[]
      ).map((row) => Number(row.id));
    await waitFor(async () => (await discarded()).length > 0);
    expect(await discarded()).toEqual([old]);

    const ack = await js.publish('jobs.janitor.destroy-record', JSON.stringify({ table: 'users', id: 1 }));
    const jsm = await client.jetstreamManager();
    const letter = await waitFor(async () => {
      const info = await jsm.streams.info('DLQ');
      for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage('DLQ', { seq }).catch(() => null);
        if (msg?.header.get('Dlq-Stream-Seq') === String(ack.seq)) return msg;
      }
      return null;
    });
    expect(letter.header.get('Dlq-Reason')).toBe('invalid-payload');
    expect(letter.header.get('Dlq-Error')).toMatch(/table/);
  });

  it('deletes never-used invited accounts past six months with their invitations, and keeps any that left a trace', async () => {
    const day = 24 * 3600_000;
    const cutoff = ago(183 * day);
    const group = await world.insert('groups', { name: 'G' });
    const inviter = await world.user();
    const invited = async (createdAt: Date, values: Record<string, unknown> = {}) => {
      const userId = await world.user({ email_verified: false, created_at: createdAt, ...values });
      const membership = await world.insert('memberships', {
        group_id: group,
        user_id: userId,
        inviter_id: inviter,
      });
      const event = await world.insert('events', {
        kind: 'membership_created',
        eventable_type: 'Membership',
        eventable_id: membership,
        user_id: inviter,
      });
      await world.insert('notifications', { user_id: userId, event_id: event, kind: 'membership_created' });
      return { userId, membership, event };
    };
    const doomed = await invited(new Date(cutoff.getTime() - 1000));
    const young = await invited(new Date(cutoff.getTime() + 60_000));
    const verified = await invited(ago(400 * day), { email_verified: true });
    const signedIn = await invited(ago(400 * day), { sign_in_count: 1, last_sign_in_at: ago(300 * day) });
    const member = await invited(ago(400 * day));
    await db.query(`UPDATE memberships SET accepted_at = now() WHERE id = $1`, [member.membership]);
    const voter = await invited(ago(400 * day));
    const poll = await world.insert('polls', { author_id: inviter, title: 'p', poll_type: 'proposal' });
    await world.insert('stances', { poll_id: poll, participant_id: voter.userId });
    // destroy-user's tombstone looks unused until rows point at it; it is never taken.
    const tombstone = await world.user({
      username: TombstoneUsername,
      email_verified: false,
      created_at: ago(400 * day),
    });

    expect(await new InactiveAccounts(db, 1).deleteCreatedBefore(cutoff)).toBe(1);

    const users = await ids('users');
    expect(users).not.toContain(doomed.userId);
    for (const kept of [young, verified, signedIn, member, voter]) expect(users).toContain(kept.userId);
    expect(users).toContain(tombstone);
    expect(await ids('memberships')).not.toContain(doomed.membership);
    expect(await ids('events')).not.toContain(doomed.event);
    expect(await ids('events')).toContain(young.event);
    expect(await new InactiveAccounts(db).deleteCreatedBefore(cutoff)).toBe(0);
  });

  describe('update-blocked-domains', () => {
    it('parses one domain a line and refuses what is not a domain', () => {
      expect(
        parseDomainList(
          '# list\nMailinator.com\n\nspam.example.org.  # trailing\nnot a domain\n-bad.com\nmailinator.com',
        ),
      ).toEqual({
        domains: ['mailinator.com', 'spam.example.org'],
        rejected: ['not a domain', '-bad.com'],
      });
    });

    it('makes the table equal to the file; an empty list changes nothing', async () => {
      const file = join(directory, 'domains.txt');
      await writeFile(file, 'a.example\nb.example\n');
      await client.jetstream().publish('jobs.janitor.update-blocked-domains', '{}');
      const names = async () =>
        ((await db.query(`SELECT name FROM blocked_domains ORDER BY name`)) as { name: string }[]).map(
          (r) => r.name,
        );
      await waitFor(async () => (await names()).join() === 'a.example,b.example');

      await writeFile(file, 'b.example\nc.example\n');
      const updater = new BlockedDomains(db);
      const source = { location: file, policy: new AddressPolicy(), timeoutMs: 5000, maxBytes: 1 << 20 };
      expect(await updater.update(source)).toEqual({ added: 1, removed: 1, total: 2, rejected: [] });
      expect(await names()).toEqual(['b.example', 'c.example']);
      await writeFile(file, '# nothing\n');
      await expect(updater.update(source)).rejects.toThrow(/no domain/);
      expect(await names()).toEqual(['b.example', 'c.example']);
    });

    it('fetches a URL through the outbound guard: a loopback server only when allow-listed', async () => {
      const server: Server = createServer((_req, res) => res.end('d.example\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/list.txt`;
      try {
        const updater = new BlockedDomains(db);
        const source = { location: url, timeoutMs: 5000, maxBytes: 1 << 20 };
        await expect(updater.update({ ...source, policy: new AddressPolicy() })).rejects.toThrow(
          /loopback|refused|not allowed/i,
        );
        const allowed = new AddressPolicy({ hosts: [], cidrs: ['127.0.0.1'] });
        expect(await updater.update({ ...source, policy: allowed })).toMatchObject({ total: 1, added: 1 });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});
