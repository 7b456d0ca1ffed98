import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { Contracts, Subjects } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { durableName, type RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { NotifierConfigSchema } from '../../src/config';
import { ReceivedEmailRouter, type RouteReport } from '../../src/inbound/route-received-emails';
import { NotifierModule } from '../../src/notifier.module';
import { InboundDomain, InboundWorld } from './inbound-world';

describe('route-received-emails (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let world: InboundWorld;
  let client: NatsConnection;
  const replicas: RunningService[] = [];
  const newRouter = (batchSize = 200) =>
    new ReceivedEmailRouter(db, new Outbox(Contracts, 'urn:test'), { domain: InboundDomain, batchSize });
  const route = (): Promise<RouteReport> => newRouter().routeAll();

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new InboundWorld(db);
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startServiceUnderTest({
          name: 'notifier',
          module: NotifierModule,
          configSchema: NotifierConfigSchema,
          natsUrl: nats.url,
          databaseUrl: database.url,
          // Nothing is mailed here (no outbox relay runs); the relay address only has to be valid.
          env: { SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: `Loomio <notifications@${InboundDomain}>` },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await servers?.stop();
  });

  /** A member of a group with a thread in it. */
  async function memberInThread() {
    const member = await world.keyedUser();
    const author = await world.user();
    const groupId = await world.groupOf(member.id, author);
    const discussionId = await world.thread(groupId, author);
    return { member, groupId, discussionId };
  }

  it('posts a reply once, with its thread event and domain event, when two replicas run the job at once', async () => {
    const { member, groupId, discussionId } = await memberInThread();
    const mailId = await world.reply(
      discussionId,
      member,
      'Thursday works <for> me.\r\n\r\nOn Tue, 24 Nov 2026 at 09:00, Loomio <notifications@loomio.test> wrote:\r\n> Shall we meet?\r\n',
    );
    const js = client.jetstream();
    await Promise.all([
      js.publish(Subjects.RouteReceivedEmails, '{}', { msgID: 'cron-slot-1' }),
      js.publish(Subjects.RouteReceivedEmails, '{}', { msgID: 'manual-run-2' }),
    ]);
    const jsm = await client.jetstreamManager();
    await waitFor(
      async () => {
        const consumer = await jsm.consumers.info(
          'JOBS',
          durableName('notifier', Subjects.RouteReceivedEmails),
        );
        return (
          consumer.delivered.consumer_seq >= 2 && consumer.num_pending === 0 && consumer.num_ack_pending === 0
        );
      },
      { timeoutMs: 20_000, description: 'both route-received-emails jobs acknowledged' },
    );

    const comments = await world.comments(discussionId);
    expect(comments).toEqual([
      { id: expect.any(Number), author_id: String(member.id), body: '<p>Thursday works &lt;for&gt; me.</p>' },
    ]);
    const events = (await db.query(
      `SELECT e.id, e.sequence_id, e.depth, e.position, e.user_id, root.child_count
       FROM events e JOIN events root ON root.id = e.parent_id AND root.kind = 'new_discussion'
       WHERE e.kind = 'new_comment' AND e.eventable_type = 'Comment' AND e.eventable_id = $1`,
      [comments[0].id],
    )) as {
      id: string;
      sequence_id: number;
      depth: number;
      position: number;
      user_id: string;
      child_count: number;
    }[];
    expect(events).toEqual([
      {
        id: expect.any(String),
        sequence_id: 1,
        depth: 1,
        position: 1,
        user_id: String(member.id),
        child_count: 1,
      },
    ]);
    const [thread] = (await db.query(`SELECT last_sequence_id, items_count FROM discussions WHERE id = $1`, [
      discussionId,
    ])) as { last_sequence_id: number; items_count: number }[];
    expect(thread).toEqual({ last_sequence_id: 1, items_count: 1 });
    const published = (await world.outboxed(Subjects.CommentCreated)).filter(
      (p) => p.commentId === comments[0].id,
    );
    expect(published).toEqual([
      {
        eventId: Number(events[0].id),
        actorId: member.id,
        commentId: comments[0].id,
        discussionId,
        parentId: null,
      },
    ]);
    expect(await world.stored(mailId)).toMatchObject({
      released: true,
      group_id: String(groupId),
      route_outcome: 'comment',
      route_error: null,
      routed_at: expect.any(Date),
    });
  });

  it('numbers the thread without gaps or duplicates when two runs route many replies concurrently', async () => {
    const { member, discussionId } = await memberInThread();
    const other = await memberInThread();
    const mails: number[] = [];
    for (let i = 0; i < 15; i++) {
      mails.push(await world.reply(discussionId, member, `Reply ${i}`));
      mails.push(await world.reply(other.discussionId, other.member, `Other ${i}`));
    }
    // Small pages, so both runs walk several keyset pages over the same rows.
    const reports = await Promise.all([newRouter(4).routeAll(), newRouter(4).routeAll()]);
    expect(reports[0].comments + reports[1].comments).toBe(30);
    for (const thread of [discussionId, other.discussionId]) {
      const sequence = (await db.query(
        `SELECT sequence_id FROM events WHERE discussion_id = $1 AND kind = 'new_comment' ORDER BY sequence_id`,
        [thread],
      )) as { sequence_id: number }[];
      expect(sequence.map((row) => row.sequence_id)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(await world.comments(thread)).toHaveLength(15);
    }
    const commentIds = new Set(
      (await world.comments(discussionId)).concat(await world.comments(other.discussionId)).map((c) => c.id),
    );
    expect(
      (await world.outboxed(Subjects.CommentCreated)).filter((p) => commentIds.has(Number(p.commentId))),
    ).toHaveLength(30);
    expect(await route()).toEqual({ comments: 0, discussions: 0, dropped: 0, rejected: 0, failed: 0 });
  });

  it('refuses replies with a wrong key, from non-members, deactivated users, to closed or discarded threads', async () => {
    const { member, groupId, discussionId } = await memberInThread();
    const outsider = await world.keyedUser();
    const revoked = await world.keyedUser();
    await world.member(groupId, revoked.id, { revoked: true });
    const pending = await world.keyedUser();
    await world.member(groupId, pending.id, { pending: true });
    const deactivated = await world.keyedUser({ deactivated: true });
    await world.member(groupId, deactivated.id);
    const closed = await world.thread(groupId, member.id);
    await db.query(`UPDATE discussions SET closed_at = now() WHERE id = $1`, [closed]);
    const discarded = await world.thread(groupId, member.id);
    await db.query(`UPDATE discussions SET discarded_at = now() WHERE id = $1`, [discarded]);
    const formerGuest = await world.keyedUser();
    await world.reader(discussionId, formerGuest.id, { guest: true });
    await db.query(`UPDATE discussion_readers SET revoked_at = now() WHERE user_id = $1`, [formerGuest.id]);

    const cases: [number, string][] = [
      [await world.reply(discussionId, { id: member.id, key: `${member.key}x` }), 'wrong_key'],
      [await world.reply(discussionId, { id: member.id, key: outsider.key }), 'wrong_key'],
      [await world.reply(discussionId, outsider), 'not_a_member'],
      [await world.reply(discussionId, revoked), 'not_a_member'],
      [await world.reply(discussionId, pending), 'not_a_member'],
      [await world.reply(discussionId, formerGuest), 'not_a_member'],
      [await world.reply(discussionId, deactivated), 'user_deactivated'],
      [await world.reply(closed, member), 'discussion_closed'],
      [await world.reply(discarded, member), 'discussion_discarded'],
      [await world.reply(999_999_999, member), 'discussion_not_found'],
      [
        await world.mail({
          headers: {
            from: 'jo@example.org',
            to: world.replyAddress(discussionId, { id: 999_999_999, key: member.key }),
          },
        }),
        'user_not_found',
      ],
      [await world.reply(discussionId, member, '> only the quote\n> of the notification\n'), 'empty_body'],
      [await world.mail({ headers: { from: 'jo@example.org', to: `someone@elsewhere.test` } }), 'no_route'],
      // Malformed input from the mail endpoint is recorded, not retried forever.
      [
        await world.mail({ headers: ['not', 'an', 'object'] as unknown as Record<string, string> }),
        'no_route',
      ],
      [
        await world.mail({ headers: { to: [42, null] as unknown as string[], from: 'jo@example.org' } }),
        'no_route',
      ],
    ];
    const report = await route();
    expect(report).toMatchObject({ comments: 0, rejected: cases.length });
    for (const [mailId, reason] of cases) {
      expect({ mailId, ...(await world.stored(mailId)) }).toMatchObject({
        mailId,
        released: false,
        route_outcome: 'rejected',
        route_error: reason,
        routed_at: expect.any(Date),
      });
    }
    for (const thread of [discussionId, closed, discarded]) expect(await world.comments(thread)).toEqual([]);
    // Recorded, so the next hourly run does not look at them again.
    expect(await route()).toMatchObject({ rejected: 0 });
  });

  it('accepts a reply from a guest of the thread who is no member of its group', async () => {
    const { discussionId } = await memberInThread();
    const guest = await world.keyedUser();
    await world.reader(discussionId, guest.id, { guest: true });
    const mailId = await world.reply(discussionId, guest, 'Thanks for having me.\n\n-- \nGuest\n');
    expect(await route()).toMatchObject({ comments: 1 });
    expect(await world.comments(discussionId)).toMatchObject([{ body: '<p>Thanks for having me.</p>' }]);
    expect(await world.stored(mailId)).toMatchObject({ released: true, route_outcome: 'comment' });
  });

  it('starts a discussion from mail to a group address by a verified member', async () => {
    const group = await world.handledGroup();
    const author = await world.user();
    await world.member(group.id, author);
    const mailId = await world.mail({
      headers: {
        from: `Author <${(await world.email(author)).toUpperCase()}>`,
        to: `Team <${group.handle}@${InboundDomain}>`,
        subject: '=?UTF-8?Q?Budget_f=C3=BCr?= 2027',
      },
      text: 'Please review the draft.\nThanks\n\n-- \nAuthor\nTreasurer',
    });
    expect(await route()).toMatchObject({ discussions: 1 });
    const [discussion] = (await db.query(
      `SELECT id, author_id, title, description, key FROM discussions WHERE group_id = $1`,
      [group.id],
    )) as { id: string; author_id: string; title: string; description: string; key: string }[];
    expect(discussion).toMatchObject({
      author_id: String(author),
      title: 'Budget für 2027',
      description: '<p>Please review the draft.<br>Thanks</p>',
      key: expect.stringMatching(/^[A-Za-z0-9]{8}$/),
    });
    const [root] = (await db.query(
      `SELECT id, sequence_id, user_id FROM events WHERE kind = 'new_discussion' AND discussion_id = $1`,
      [discussion.id],
    )) as { id: string; sequence_id: number; user_id: string }[];
    expect(root).toMatchObject({ sequence_id: 0, user_id: String(author) });
    expect(
      (await world.outboxed(Subjects.DiscussionCreated)).filter(
        (p) => p.discussionId === Number(discussion.id),
      ),
    ).toEqual([
      { eventId: Number(root.id), actorId: author, discussionId: Number(discussion.id), groupId: group.id },
    ]);
    expect(await world.stored(mailId)).toMatchObject({
      released: true,
      group_id: String(group.id),
      route_outcome: 'discussion',
    });
  });

  it('refuses group mail from unknown, unverified or non-member senders and to unknown groups', async () => {
    const group = await world.handledGroup();
    const unverified = await world.user({ verified: false });
    await world.member(group.id, unverified);
    const outsider = await world.user();
    const toGroup = async (from: string, handle = group.handle) =>
      world.mail({ headers: { from, to: `${handle}@${InboundDomain}`, subject: 'Hello' } });
    const cases: [number, string][] = [
      [await toGroup(await world.email(outsider)), 'not_a_member'],
      [await toGroup(await world.email(unverified)), 'unknown_sender'],
      [await toGroup('stranger@example.org'), 'unknown_sender'],
      [await toGroup(await world.email(outsider), 'no-such-group'), 'unknown_group'],
    ];
    expect(await route()).toMatchObject({ discussions: 0, rejected: cases.length });
    for (const [mailId, reason] of cases) {
      expect(await world.stored(mailId)).toMatchObject({ route_outcome: 'rejected', route_error: reason });
    }
    expect(await db.query(`SELECT id FROM discussions WHERE group_id = $1`, [group.id])).toEqual([]);
  });

  it('drops auto-replies, bounces, unauthenticated mail and mail from blocked domains, never posting them', async () => {
    const { member, discussionId } = await memberInThread();
    const to = world.replyAddress(discussionId, member);
    const from = await world.email(member.id);
    await world.insert('blocked_domains', { name: 'spam.test' });
    const cases: [number, string][] = [
      [await world.mail({ headers: { from, to, 'auto-submitted': 'auto-replied' } }), 'auto_reply'],
      [await world.mail({ headers: { from, to, precedence: 'bulk' } }), 'auto_reply'],
      [
        await world.mail({
          headers: {
            from: 'MAILER-DAEMON@mx.example.org',
            to,
            'content-type': 'multipart/report; report-type=delivery-status',
          },
        }),
        'bounce',
      ],
      [await world.mail({ headers: { from, to }, spf: false, dkim: false }), 'unauthenticated'],
      [await world.mail({ headers: { from: 'x@mail.spam.test', to } }), 'blocked_domain'],
    ];
    expect(await route()).toMatchObject({ comments: 0, dropped: cases.length });
    for (const [mailId, reason] of cases) {
      expect(await world.stored(mailId)).toMatchObject({
        released: false,
        route_outcome: 'dropped',
        route_error: reason,
      });
    }
    expect(await world.comments(discussionId)).toEqual([]);
    // One authenticated by SPF alone is fine.
    await world.mail({ headers: { from, to }, spf: true, dkim: false });
    expect(await route()).toMatchObject({ comments: 1 });
  });
});
