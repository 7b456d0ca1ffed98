import type { NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
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
import { PollWorld } from './poll-world';

describe('poller app: replicas, redelivery and counts (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let world: PollWorld;
  let client: NatsConnection;
  let relay: OutboxRelay;
  const replicas: RunningService[] = [];

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new PollWorld(db);
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startServiceUnderTest({
          name: 'poller',
          module: PollerModule,
          configSchema: PollerConfigSchema,
          natsUrl: nats.url,
          databaseUrl: database.url,
        }),
      );
    }
    relay = new OutboxRelay(db, client.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    for (const replica of replicas) await replica.stop();
    await servers?.stop();
  });

  async function eventsOnStream(subject: string): Promise<Record<string, unknown>[]> {
    const jsm = await client.jetstreamManager();
    const info = await jsm.streams.info('EVENTS');
    const found: Record<string, unknown>[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage('EVENTS', { seq }).catch(() => null);
      if (msg?.subject === subject) found.push(msg.json<Record<string, unknown>>());
    }
    return found;
  }

  it('closes a poll once, with one event, with two replicas and the cron message delivered twice', async () => {
    const authorId = await world.user();
    const pollId = await world.poll({ authorId, closingAt: new Date(Date.now() - 5_000) });
    const js = client.jetstream();
    // The same hourly slot twice (a redelivery after a lost ack looks the same to the handlers).
    await Promise.all([
      js.publish('jobs.poller.close-expired-polls', '{}'),
      js.publish('jobs.poller.close-expired-polls', '{}'),
    ]);
    await waitFor(async () => (await eventsOnStream('events.poll.closed')).some((e) => e.pollId === pollId), {
      timeoutMs: 20_000,
      description: 'events.poll.closed on the stream',
    });
    await sleep(1_000);
    expect((await eventsOnStream('events.poll.closed')).filter((e) => e.pollId === pollId)).toHaveLength(1);
    const rows = await db.query(
      `SELECT count(*)::int AS n FROM events WHERE kind = 'poll_expired' AND eventable_id = $1`,
      [pollId],
    );
    expect(rows).toEqual([{ n: 1 }]);
  }, 40_000);

  it('keeps the counts right as votes are cast and revoked (events from any publisher)', async () => {
    const authorId = await world.user();
    const pollId = await world.poll({ authorId, closingAt: new Date(Date.now() + 3_600_000) });
    const [agree, disagree] = [await world.option(pollId, 'agree'), await world.option(pollId, 'disagree')];
    const js = client.jetstream();
    const stances: number[] = [];
    for (let i = 0; i < 3; i++) {
      const userId = await world.user();
      const stanceId = await world.stance({ pollId, userId, cast: true });
      await world.choice(stanceId, i < 2 ? agree : disagree, i + 1);
      stances.push(stanceId);
      await js.publish('events.stance.created', JSON.stringify({ stanceId, pollId, actorId: userId }));
    }
    await world.stance({ pollId, userId: await world.user(), cast: false }); // invited, not voted
    await js.publish(
      'events.stance.created',
      JSON.stringify({ stanceId: stances[0], pollId, actorId: authorId }),
    );
    const countsAre = (voters: number, undecided: number) =>
      waitFor(async () => {
        const [poll] = await db.query(
          'SELECT voters_count, undecided_count, stances_count FROM polls WHERE id = $1',
          [pollId],
        );
        return (
          poll.voters_count === voters &&
          poll.undecided_count === undecided &&
          poll.stances_count === voters + undecided
        );
      });
    await countsAre(3, 1);
    const options = async () =>
      (await db.query(
        'SELECT id, voter_count, total_score, score_counts FROM poll_options WHERE poll_id = $1 ORDER BY id',
        [pollId],
      )) as { voter_count: number; total_score: number; score_counts: Record<string, number> }[];
    expect(
      (await options()).map(({ voter_count, total_score, score_counts }) => ({
        voter_count,
        total_score,
        score_counts,
      })),
    ).toEqual([
      { voter_count: 2, total_score: 3, score_counts: { '1': 1, '2': 1 } },
      { voter_count: 1, total_score: 3, score_counts: { '3': 1 } },
    ]);

    await db.query('UPDATE stances SET revoked_at = now() WHERE id = $1', [stances[1]]);
    await js.publish('events.stance.revoked', JSON.stringify({ stanceId: stances[1], pollId }));
    await countsAre(2, 1);
    await waitFor(async () => (await options())[0].voter_count === 1);
    expect((await options())[0]).toMatchObject({ voter_count: 1, total_score: 1, score_counts: { '1': 1 } });
  }, 40_000);
});
