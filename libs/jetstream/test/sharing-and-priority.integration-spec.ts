import { connect, type NatsConnection } from 'nats';
import {
  createMigratedTestDatabase,
  createTestDatabase,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { migrateDatabase } from '@lib/db';
import { DefaultStreamSettings, ensureStreams, JetStreamPublisher } from '@lib/jetstream';
import { TestkitContracts } from './fixtures/testkit-contracts';
import { TestkitProbe } from './fixtures/testkit.module';
import { startTestkit, type Testkit } from './fixtures/start-testkit';

describe('replicas, priorities and concurrency limits', () => {
  let nats: NatsServerHandle;
  let client: NatsConnection;
  let publisher: JetStreamPublisher<typeof TestkitContracts>;
  const kits: Testkit[] = [];
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  beforeEach(async () => {
    nats = await startNatsServer();
    client = await connect({ servers: nats.url });
    publisher = new JetStreamPublisher(client.jetstream(), TestkitContracts, 'urn:test');
    await ensureStreams(await client.jetstreamManager(), DefaultStreamSettings);
  });

  afterEach(async () => {
    for (const kit of kits.splice(0)) await kit.service.stop();
    await client.close();
    await nats.cleanup();
  });

  async function start(env: Record<string, string> = {}, probe?: TestkitProbe): Promise<Testkit> {
    const kit = await startTestkit({ natsUrl: nats.url, databaseUrl: database.url, env, probe });
    kits.push(kit);
    return kit;
  }

  /** Publishes without waiting for each ack in turn (a window of acks in flight), like a busy producer. */
  async function publishMany(
    subject: 'jobs.testkit.low' | 'jobs.testkit.work' | 'jobs.testkit.limited',
    ids: number[],
    sleepMs = 0,
  ) {
    for (let i = 0; i < ids.length; i += 500) {
      await Promise.all(ids.slice(i, i + 500).map((id) => publisher.publish(subject, { id, sleepMs })));
    }
  }

  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  it('shares one durable between two replicas: every job is handled exactly once', async () => {
    const first = await start();
    const second = await start();
    const ids = range(1, 3000);
    const slow = async (payload: { sleepMs?: number }) =>
      new Promise((r) => setTimeout(r, payload.sleepMs ?? 0));
    first.probe.on('jobs.testkit.work', slow);
    second.probe.on('jobs.testkit.work', slow);
    await publishMany('jobs.testkit.work', ids, 1);
    const handled = () => [
      ...first.probe.callsOf('jobs.testkit.work'),
      ...second.probe.callsOf('jobs.testkit.work'),
    ];
    await waitFor(() => handled().filter((c) => c.finishedAt).length >= ids.length, { timeoutMs: 30_000 });
    const counts = new Map<number, number>();
    for (const call of handled()) counts.set(call.payload.id, (counts.get(call.payload.id) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(ids.length);
    expect(first.probe.callsOf('jobs.testkit.work').length).toBeGreaterThan(0);
    expect(second.probe.callsOf('jobs.testkit.work').length).toBeGreaterThan(0);
  }, 60_000);

  it('starts a critical job before 100 more of 10,000 queued low jobs finish', async () => {
    const probe = new TestkitProbe();
    let lowFinished = 0;
    probe.on('jobs.testkit.low', async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      lowFinished++;
    });
    let lowFinishedWhenCriticalStarted = -1;
    probe.on('jobs.testkit.critical', () => {
      lowFinishedWhenCriticalStarted = lowFinished;
    });
    await publishMany('jobs.testkit.low', range(1, 10_000));
    await start({ WORKER_SLOTS: '5' }, probe);
    await waitFor(() => lowFinished >= 200, { timeoutMs: 20_000 });
    const lowFinishedAtPublish = lowFinished;
    await publisher.publish('jobs.testkit.critical', { id: 1 });
    await waitFor(() => lowFinishedWhenCriticalStarted >= 0, { timeoutMs: 10_000 });
    expect(lowFinishedWhenCriticalStarted - lowFinishedAtPublish).toBeLessThan(100);
  }, 60_000);

  it('never runs more jobs of a subject at once than its concurrency limit, across replicas', async () => {
    const probe = new TestkitProbe();
    probe.on('jobs.testkit.limited', () => new Promise((resolve) => setTimeout(resolve, 100)));
    await start({ WORKER_SLOTS: '10' }, probe);
    await start({ WORKER_SLOTS: '10' }, probe); // both replicas report into the same probe
    await publishMany('jobs.testkit.limited', range(1, 20));
    await waitFor(() => probe.callsOf('jobs.testkit.limited').filter((c) => c.finishedAt).length === 20, {
      timeoutMs: 20_000,
    });
    expect(probe.maxRunning).toBe(2);
  }, 30_000);

  it('reports not ready, naming the schema, while migrations are pending', async () => {
    const bare = await createTestDatabase();
    try {
      const kit = await startTestkit({ natsUrl: nats.url, databaseUrl: bare.url });
      kits.push(kit);
      // The database connects in the background; once it answers, the schema is what keeps it unready.
      const body = await waitFor(async () => {
        const response = await fetch(`${kit.service.httpUrl}/health/ready`);
        expect(response.status).toBe(503);
        const state = (await response.json()) as { database: boolean };
        return state.database ? state : null;
      });
      expect(body).toMatchObject({ nats: true, database: true, schema: false });
      await migrateDatabase(bare.url);
      expect((await fetch(`${kit.service.httpUrl}/health/ready`)).status).toBe(200);
    } finally {
      for (const kit of kits.splice(0)) await kit.service.stop();
      await bare.drop();
    }
  });

  it('refuses to start when a contract subject of the service has no handler, or a handler no contract', async () => {
    const { contractMap, defineJob } = await import('@lib/contracts');
    const { TestkitJob } = await import('./fixtures/testkit-contracts');
    const missingHandler = contractMap(
      ...Object.values(TestkitContracts),
      defineJob({
        subject: 'jobs.testkit.forgotten',
        schema: TestkitJob,
        description: 'nobody handles this',
      }),
    );
    await expect(
      startTestkit({ natsUrl: nats.url, databaseUrl: database.url, contracts: missingHandler }),
    ).rejects.toThrow(/jobs\.testkit\.forgotten has no handler in testkit/);
    const { ['jobs.testkit.guarded']: _dropped, ...withoutGuarded } = TestkitContracts;
    await expect(
      startTestkit({ natsUrl: nats.url, databaseUrl: database.url, contracts: withoutGuarded }),
    ).rejects.toThrow(/TestkitHandlers\.guarded handles jobs\.testkit\.guarded, which has no contract/);
  });
});
