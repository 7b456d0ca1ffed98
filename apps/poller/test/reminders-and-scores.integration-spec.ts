import { headers, type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { CloudEventHeaders, Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { OutboxRelay, type RunningService } from '@lib/jetstream';
import {
  sleep,
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { PollerConfigSchema } from '../src/config';
import { PollerModule } from '../src/poller.module';
import { recomputeStanceScores } from '../src/polls/recompute-stance-scores';
import { remindUndecided } from '../src/polls/remind-undecided';
import { PollWorld } from './poll-world';

const Day = 24 * 3600_000;

describe('poller: stance scores and reminders to the undecided (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let world: PollWorld;
  let client: NatsConnection;
  let relay: OutboxRelay;
  let poller: RunningService;
  const outbox = new Outbox(Contracts, 'urn:test');

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new PollWorld(db);
    poller = await startServiceUnderTest({
      name: 'poller',
      module: PollerModule,
      configSchema: PollerConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
    });
    relay = new OutboxRelay(db, client.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await poller?.stop();
    await servers?.stop();
  });

  const scoresOf = async (pollId: number) =>
    Object.fromEntries(
      (
        (await db.query(`SELECT id, option_scores FROM stances WHERE poll_id = $1 ORDER BY id`, [
          pollId,
        ])) as {
          id: string;
          option_scores: Record<string, number>;
        }[]
      ).map((row) => [Number(row.id), row.option_scores]),
    );

  describe('recompute-stance-scores', () => {
    it('drops choices of removed options, rebuilds each stance’s scores and the poll’s counts', async () => {
      const authorId = await world.user();
      const pollId = await world.poll({ authorId, closingAt: new Date(Date.now() + Day) });
      const [a, b, c] = [
        await world.option(pollId, 'a'),
        await world.option(pollId, 'b'),
        await world.option(pollId, 'c'),
      ];
      const first = await world.stance({ pollId, userId: await world.user(), cast: true });
      const second = await world.stance({ pollId, userId: await world.user(), cast: true });
      await world.choice(first, a, 3);
      await world.choice(first, b, 1);
      await world.choice(second, b, 2);
      await world.choice(second, c, 5);
      const otherPoll = await world.poll({ authorId, closingAt: new Date(Date.now() + Day) });
      const otherOption = await world.option(otherPoll, 'x');
      const otherStance = await world.stance({ pollId: otherPoll, userId: await world.user(), cast: true });
      await world.choice(otherStance, otherOption, 4);

      // The web app removed option b.
      await db.query(`DELETE FROM poll_options WHERE id = $1`, [b]);
      const report = await db.transaction((manager) => recomputeStanceScores(manager, pollId));

      expect(report).toEqual({ found: true, droppedChoices: 2, stances: 2 });
      expect(await scoresOf(pollId)).toEqual({ [first]: { [a]: 3 }, [second]: { [c]: 5 } });
      const options = (await db.query(
        `SELECT id, voter_count, total_score FROM poll_options WHERE poll_id = $1 ORDER BY id`,
        [pollId],
      )) as { id: string; voter_count: number; total_score: number }[];
      expect(options.map((o) => [Number(o.id), o.voter_count, o.total_score])).toEqual([
        [a, 1, 3],
        [c, 1, 5],
      ]);
      // Another poll's choices are not touched.
      expect(
        await db.query(`SELECT count(*)::int AS n FROM stance_choices WHERE stance_id = $1`, [otherStance]),
      ).toEqual([{ n: 1 }]);
      // A second run finds nothing left to change.
      expect(await db.transaction((manager) => recomputeStanceScores(manager, pollId))).toEqual({
        found: true,
        droppedChoices: 0,
        stances: 0,
      });
    });

    it('is a no-op for a poll that no longer exists', async () => {
      expect(await db.transaction((manager) => recomputeStanceScores(manager, 987_654))).toEqual({
        found: false,
        droppedChoices: 0,
        stances: 0,
      });
    });

    it('runs as a job through the poller app', async () => {
      const authorId = await world.user();
      const pollId = await world.poll({ authorId, closingAt: new Date(Date.now() + Day) });
      const option = await world.option(pollId, 'yes');
      const stance = await world.stance({ pollId, userId: await world.user(), cast: true });
      await world.choice(stance, option, 2);
      await client.jetstream().publish('jobs.poller.recompute-stance-scores', JSON.stringify({ pollId }));
      await waitFor(
        async () => JSON.stringify((await scoresOf(pollId))[stance]) === JSON.stringify({ [option]: 2 }),
        {
          description: 'option scores rebuilt by the job',
        },
      );
    });
  });

  describe('remind-undecided', () => {
    async function pollWithVoters() {
      const groupId = await world.group();
      const authorId = await world.user();
      await world.membership(groupId, authorId);
      const discussionId = await world.discussion(groupId, authorId);
      const pollId = await world.poll({
        authorId,
        groupId,
        discussionId,
        closingAt: new Date(Date.now() + Day),
      });
      const people: Record<string, number> = {};
      const add = async (
        name: string,
        stance: { cast?: boolean; volume?: number | null; revoked?: boolean },
        deactivated = false,
      ) => {
        people[name] = await world.user({ deactivated });
        await world.membership(groupId, people[name]);
        await world.stance({ pollId, userId: people[name], ...stance });
      };
      await add('voted', { cast: true });
      await add('undecidedNormal', {});
      await add('undecidedQuiet', { volume: 1 });
      await add('undecidedMuted', { volume: 0 });
      await add('revoked', { revoked: true });
      await add('deactivated', {}, true);
      await add('actor', {});
      return { pollId, people };
    }

    it('reminds holders of uncast stances by volume, not the actor, the voted, revoked or deactivated', async () => {
      const { pollId, people } = await pollWithVoters();
      const outcome = await db.transaction((manager) =>
        remindUndecided(manager, outbox, { pollId, actorId: people.actor }),
      );
      expect(outcome).toMatchObject({
        reminded: true,
        recipients: {
          email: [people.undecidedNormal],
          inApp: [people.undecidedNormal, people.undecidedQuiet].sort((x, y) => x - y),
        },
      });
      const [event] = (await db.query(`SELECT kind, user_id FROM events WHERE id = $1`, [
        outcome.reminded ? outcome.eventId : 0,
      ])) as { kind: string; user_id: string }[];
      expect(event).toEqual({ kind: 'poll_reminder', user_id: String(people.actor) });
      const published = await world.outbox('events.poll.reminded');
      expect(published.at(-1)?.payload).toMatchObject({ pollId, actorId: people.actor });
    });

    it('reminds nobody for a closed poll or when everyone voted', async () => {
      const authorId = await world.user();
      const closed = await world.poll({
        authorId,
        closingAt: new Date(Date.now() - Day),
        closedAt: new Date(),
      });
      await world.stance({ pollId: closed, userId: await world.user() });
      const decided = await world.poll({ authorId, closingAt: new Date(Date.now() + Day) });
      await world.stance({ pollId: decided, userId: await world.user(), cast: true });
      const remind = (pollId: number) =>
        db.transaction((manager) => remindUndecided(manager, outbox, { pollId, actorId: authorId }));
      expect(await remind(closed)).toEqual({ reminded: false, reason: 'poll-closed' });
      expect(await remind(decided)).toEqual({ reminded: false, reason: 'nobody-undecided' });
      expect(await remind(123_456_789)).toEqual({ reminded: false, reason: 'poll-not-found' });
    });

    it('sends one reminder per request, even when the request arrives twice', async () => {
      const { pollId, people } = await pollWithVoters();
      const js = client.jetstream();
      const body = JSON.stringify({ pollId, actorId: people.actor });
      // The same request (one ce-id) published twice past the stream's duplicate window looks like a redelivery.
      for (const msgID of ['first', 'second']) {
        const h = headers();
        h.set(CloudEventHeaders.id, `reminder-${pollId}`);
        await js.publish('events.poll.reminder-requested', body, { headers: h, msgID });
      }
      const reminded = async () =>
        (
          (await db.query(
            `SELECT count(*)::int AS n FROM events WHERE kind = 'poll_reminder' AND eventable_id = $1`,
            [pollId],
          )) as { n: number }[]
        )[0].n;
      await waitFor(async () => (await reminded()) === 1, { description: 'one poll_reminder event' });
      await sleep(500);
      expect(await reminded()).toBe(1);

      // A new request is a new reminder.
      await js.publish('events.poll.reminder-requested', body);
      await waitFor(async () => (await reminded()) === 2, { description: 'a second poll_reminder event' });
    });
  });
});
