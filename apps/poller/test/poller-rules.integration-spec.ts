import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { ClosingSoonAnnouncer } from '../src/polls/announce-closing-soon';
import { ExpiredPollCloser } from '../src/polls/close-expired-polls';
import { PollWorld } from './poll-world';

const Hour = 3600_000;

describe('poller rules (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: PollWorld;
  const outbox = new Outbox(Contracts, 'urn:test');

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new PollWorld(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    await db.query('DELETE FROM outbox_messages');
  });

  const closer = (keepAnonymousParticipants = false, batchSize = 500) =>
    new ExpiredPollCloser(db, outbox, { batchSize, keepAnonymousParticipants, parallelism: 4 });

  describe('announce-closing-soon recipients', () => {
    const volumes = [null, 0, 1, 2, 3] as const;
    type Source = 'stance' | 'reader' | 'membership' | 'none';
    const sources: Source[] = ['stance', 'reader', 'membership', 'none'];

    /** The SPEC's rule, written independently of the production query. */
    function expected(volume: number | null, source: Source) {
      const effective = source === 'none' || volume === null ? 2 : volume;
      return { email: effective >= 2, inApp: effective >= 1 };
    }

    it.each([0, 1, 2, 3])(
      'notify_on_closing_soon = %i: by channel, volume source and deactivation',
      async (notify) => {
        const now = new Date();
        const hour = new Date(Math.floor(now.getTime() / Hour) * Hour);
        const groupId = await world.group();
        const authorId = await world.user();
        await world.membership(groupId, authorId);
        const discussionId = await world.discussion(groupId, authorId);
        const pollId = await world.poll({
          authorId,
          groupId,
          discussionId,
          notify,
          closingAt: new Date(hour.getTime() + 24 * Hour + 10 * 60_000),
        });
        await world.stance({ pollId, userId: authorId, cast: true });
        const people: {
          userId: number;
          cast: boolean;
          email: boolean;
          inApp: boolean;
          deactivated: boolean;
        }[] = [];
        for (const source of sources) {
          for (const volume of volumes) {
            for (const cast of [false, true]) {
              for (const deactivated of [false, true]) {
                const userId = await world.user({ deactivated });
                await world.membership(groupId, userId, source === 'membership' ? volume : null);
                if (source === 'reader') await world.reader(discussionId, userId, volume);
                await world.stance({ pollId, userId, cast, volume: source === 'stance' ? volume : null });
                people.push({ userId, cast, deactivated, ...expected(volume, source) });
              }
            }
          }
        }
        // Members without a stance, and revoked stances, never hear of it.
        const bystander = await world.user();
        await world.membership(groupId, bystander);
        const revoked = await world.user();
        await world.stance({ pollId, userId: revoked, revoked: true });

        const report = await new ClosingSoonAnnouncer(db, outbox, 100, 4).announceAll(hour);
        expect(report.failed).toEqual([]);
        const messages = await world.outbox('events.poll.closing-soon');
        if (notify === 0) {
          expect(messages).toHaveLength(0);
          return;
        }
        expect(messages).toHaveLength(1);
        const { recipients } = messages[0].payload as { recipients: { email: number[]; inApp: number[] } };
        const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
        if (notify === 1) {
          expect(recipients).toEqual({ email: [authorId], inApp: [] });
          return;
        }
        const eligible = people.filter((p) => !p.deactivated && (notify === 3 || !p.cast));
        const authorToo = notify === 3 ? [authorId] : [];
        expect(sorted(recipients.email)).toEqual(
          sorted([...authorToo, ...eligible.filter((p) => p.email).map((p) => p.userId)]),
        );
        expect(sorted(recipients.inApp)).toEqual(
          sorted([...authorToo, ...eligible.filter((p) => p.inApp).map((p) => p.userId)]),
        );
        expect(recipients.email).not.toContain(bystander);
        expect(recipients.inApp).not.toContain(revoked);
      },
    );

    it('announces once per closing time, and again after the closing time moved', async () => {
      const hour = new Date(Math.floor(Date.now() / Hour) * Hour);
      const authorId = await world.user();
      const pollId = await world.poll({
        authorId,
        notify: 1,
        closingAt: new Date(hour.getTime() + 24 * Hour + 60_000),
      });
      const announcer = new ClosingSoonAnnouncer(db, outbox, 100, 4);
      await announcer.announceAll(hour);
      await announcer.announceAll(hour); // a redelivered job
      expect(await world.outbox('events.poll.closing-soon')).toHaveLength(1);
      // Moved by 30 minutes, still inside the same window: announced again, for the new time.
      const moved = new Date(hour.getTime() + 24 * Hour + 31 * 60_000);
      await db.query('UPDATE polls SET closing_at = $2 WHERE id = $1', [pollId, moved]);
      await announcer.announceAll(hour);
      const messages = await world.outbox('events.poll.closing-soon');
      expect(messages.map((m) => m.payload.closingAt)).toEqual([
        new Date(hour.getTime() + 24 * Hour + 60_000).toISOString(),
        moved.toISOString(),
      ]);
    });

    it('covers exactly the hour that starts 24 h after the hour asked for', () => {
      const { from, to } = ClosingSoonAnnouncer.windowFor(new Date('2026-03-01T10:00:07Z'));
      expect(from.toISOString()).toBe('2026-03-02T10:00:00.000Z');
      expect(to.toISOString()).toBe('2026-03-02T11:00:00.000Z');
    });
  });

  describe('close-expired-polls', () => {
    it('closes an expired poll once, with its event, counts and events.poll.closed', async () => {
      const authorId = await world.user();
      const groupId = await world.group();
      const discussionId = await world.discussion(groupId, authorId);
      const pollId = await world.poll({
        authorId,
        groupId,
        discussionId,
        closingAt: new Date(Date.now() - 60_000),
      });
      const voter = await world.user();
      await world.stance({ pollId, userId: voter, cast: true });
      await world.stance({ pollId, userId: await world.user(), cast: false });
      const first = await closer().closeAll(new Date());
      const second = await closer().closeAll(new Date());
      expect(first.closed).toBeGreaterThanOrEqual(1);
      const [poll] = await db.query(
        'SELECT closed_at, voters_count, undecided_count FROM polls WHERE id = $1',
        [pollId],
      );
      expect(poll.closed_at).not.toBeNull();
      expect(poll).toMatchObject({ voters_count: 1, undecided_count: 1 });
      const events = await db.query(
        `SELECT kind, user_id, sequence_id FROM events WHERE eventable_type = 'Poll' AND eventable_id = $1`,
        [pollId],
      );
      expect(events).toEqual([{ kind: 'poll_expired', user_id: String(authorId), sequence_id: 1 }]);
      const closed = (await world.outbox('events.poll.closed')).filter((m) => m.payload.pollId === pollId);
      expect(closed).toHaveLength(1);
      expect(closed[0].payload).toMatchObject({ pollId, reason: 'expired' });
      expect(second.closed).toBe(0);
    });

    it('skips a poll that is already closed, discarded, or not yet due', async () => {
      const authorId = await world.user();
      const past = new Date(Date.now() - Hour);
      const closedAt = new Date(Date.now() - 30 * 60_000);
      const alreadyClosed = await world.poll({ authorId, closingAt: past, closedAt });
      const future = await world.poll({ authorId, closingAt: new Date(Date.now() + Hour) });
      await closer().closeAll(new Date());
      expect(await closer().closeOne(alreadyClosed, new Date())).toBe(false);
      const [row] = await db.query('SELECT closed_at FROM polls WHERE id = $1', [alreadyClosed]);
      expect(new Date(row.closed_at).getTime()).toBe(closedAt.getTime());
      expect((await db.query('SELECT closed_at FROM polls WHERE id = $1', [future]))[0].closed_at).toBeNull();
      const ids = (await world.outbox('events.poll.closed')).map((m) => m.payload.pollId);
      expect(ids).not.toContain(alreadyClosed);
      expect(ids).not.toContain(future);
    });

    it('unlinks the participants of an anonymous poll from stances and their events, unless configured to keep them', async () => {
      const authorId = await world.user();
      for (const keep of [false, true]) {
        const pollId = await world.poll({
          authorId,
          anonymous: true,
          closingAt: new Date(Date.now() - 1000),
        });
        const voter = await world.user();
        const stanceId = await world.stance({ pollId, userId: voter, cast: true });
        await world.event({
          kind: 'stance_created',
          eventableType: 'Stance',
          eventableId: stanceId,
          userId: voter,
        });
        await closer(keep).closeAll(new Date());
        const [stance] = await db.query('SELECT participant_id FROM stances WHERE id = $1', [stanceId]);
        const [event] = await db.query(
          `SELECT user_id FROM events WHERE eventable_type = 'Stance' AND eventable_id = $1`,
          [stanceId],
        );
        expect(stance.participant_id === null).toBe(!keep);
        expect(event.user_id === null).toBe(!keep);
      }
    });

    it('brings votes hidden until closing into the thread, after its existing items', async () => {
      const authorId = await world.user();
      const groupId = await world.group();
      const discussionId = await world.discussion(groupId, authorId);
      await world.event({
        kind: 'new_discussion',
        eventableType: 'Discussion',
        eventableId: discussionId,
        userId: authorId,
        discussionId,
        sequenceId: 1,
      });
      const pollId = await world.poll({
        authorId,
        groupId,
        discussionId,
        hideResults: 'until_closed',
        closingAt: new Date(Date.now() - 1000),
      });
      const hidden: number[] = [];
      for (let i = 0; i < 3; i++) {
        const stanceId = await world.stance({ pollId, userId: await world.user(), cast: true });
        hidden.push(
          await world.event({
            kind: 'stance_created',
            eventableType: 'Stance',
            eventableId: stanceId,
            userId: null,
          }),
        );
      }
      await closer().closeAll(new Date());
      const thread = await db.query(
        'SELECT id, kind, sequence_id FROM events WHERE discussion_id = $1 ORDER BY sequence_id',
        [discussionId],
      );
      expect(thread.map((e: { sequence_id: number }) => e.sequence_id)).toEqual([1, 2, 3, 4, 5]);
      expect(thread.slice(1, 4).map((e: { id: string }) => Number(e.id))).toEqual(hidden);
      expect(thread[4].kind).toBe('poll_expired');
    });

    it('works through a backlog in batches, each poll in its own transaction', async () => {
      await db.query('UPDATE polls SET closed_at = now() WHERE closed_at IS NULL');
      const authorId = await world.user();
      await db.query(
        `INSERT INTO polls (author_id, title, poll_type, closing_at)
         SELECT $1, 'backlog', 'poll', now() - (n || ' seconds')::interval FROM generate_series(1, 1200) n`,
        [authorId],
      );
      let batches = 0;
      const report = await closer(false, 250).closeAll(new Date(), () => batches++);
      expect(report).toMatchObject({ closed: 1200, skipped: 0, failed: [] });
      expect(batches).toBe(5);
      expect((await world.outbox('events.poll.closed')).length).toBe(1200);
    }, 60_000);
  });
});
