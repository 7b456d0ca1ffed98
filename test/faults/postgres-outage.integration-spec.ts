import { contractMap, defineJob } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, Inbox, migrateDatabase, Outbox } from '@lib/db';
import { OutboxRelay } from '@lib/jetstream';
import pino from 'pino';
import {
  sleep,
  startNatsServer,
  startPostgresCluster,
  waitFor,
  type NatsServerHandle,
  type PostgresClusterHandle,
} from '@lib/testing';
import { DataSource } from 'typeorm';
import { TestkitContracts, TestkitJob } from '../../libs/jetstream/test/fixtures/testkit-contracts';
import { startTestkit, type Testkit } from '../../libs/jetstream/test/fixtures/start-testkit';

// Enough attempts to outlast the outage: a job that meets a dead database fails and is retried.
const contracts = contractMap(
  ...Object.values(TestkitContracts).filter((c) => c.subject !== 'jobs.testkit.work'),
  defineJob({
    subject: 'jobs.testkit.work',
    schema: TestkitJob,
    description: 'writes one row through the inbox',
    options: { maxAttempts: 100, backoff: { type: 'fixed', delayMs: 300 } },
  }),
);

describe('PostgreSQL stopped under load (private cluster)', () => {
  let nats: NatsServerHandle;
  let postgres: PostgresClusterHandle;
  let kit: Testkit;
  let observer: DataSource;

  beforeAll(async () => {
    [nats, postgres] = await Promise.all([startNatsServer(), startPostgresCluster()]);
    await migrateDatabase(postgres.url);
    kit = await startTestkit({
      natsUrl: nats.url,
      databaseUrl: postgres.url,
      contracts,
      env: { WORKER_SLOTS: '10' },
    });
    observer = createDataSource({ url: postgres.url, entities: AllEntities, migrations: AllMigrations });
  });

  afterAll(async () => {
    await kit?.service.stop();
    if (observer?.isInitialized) await observer.destroy();
    await postgres?.cleanup();
    await nats?.cleanup();
  });

  const readiness = async () => {
    const response = await fetch(`${kit.service.httpUrl}/health/ready`);
    return { status: response.status, body: (await response.json()) as { database: boolean } };
  };

  it('retries the jobs, goes unready then ready, and applies every effect exactly once', async () => {
    const inbox = kit.service.app.get(Inbox);
    const dataSource = kit.service.app.get(DataSource);
    await dataSource.query('CREATE TABLE effects (job_id int)');
    kit.probe.on('jobs.testkit.work', async (payload, ctx) => {
      await inbox.once(ctx.consumer, ctx.jobId, (manager) =>
        manager.query('INSERT INTO effects (job_id) VALUES ($1)', [payload.id]),
      );
    });
    await waitFor(async () => (await readiness()).status === 200);
    const total = 400;
    const publishing = (async () => {
      for (let id = 0; id < total; id++) {
        await kit.service.publisher.publish('jobs.testkit.work', { id });
        if (id % 50 === 0) await sleep(100);
      }
    })();
    await sleep(300);
    await postgres.stop();
    await waitFor(async () => (await readiness()).status === 503, { description: 'readiness red' });
    expect((await readiness()).body.database).toBe(false);
    await sleep(3_000);
    await postgres.start();
    await waitFor(async () => (await readiness()).status === 200, {
      timeoutMs: 20_000,
      description: 'readiness green',
    });
    await publishing;
    await observer.initialize();
    await waitFor(
      async () => (await observer.query('SELECT count(*)::int AS n FROM effects'))[0].n === total,
      {
        timeoutMs: 60_000,
        description: `all ${total} effects`,
      },
    );
    const [counts] = await observer.query(
      'SELECT count(*)::int AS rows, count(DISTINCT job_id)::int AS jobs FROM effects',
    );
    expect(counts).toEqual({ rows: total, jobs: total });
    const failedAttempts = kit.probe.calls.filter((c) => c.subject === 'jobs.testkit.work' && c.attempt > 1);
    expect(failedAttempts.length).toBeGreaterThan(0);
  }, 120_000);

  it('keeps the outbox relay alive across the outage: it listens again and publishes at once', async () => {
    const relay = new OutboxRelay(
      kit.service.app.get(DataSource),
      kit.service.nc.jetstream(),
      postgres.url,
      pino({ level: 'silent' }),
    );
    await relay.start();
    try {
      await postgres.stop();
      await sleep(1_500);
      await postgres.start();
      await waitFor(async () => (await readiness()).status === 200, { timeoutMs: 20_000 });
      await sleep(2_500); // the LISTEN connection retries every second
      const jsm = await kit.service.nc.jetstreamManager();
      const before = (await jsm.streams.info('JOBS')).state.last_seq;
      const writtenAt = Date.now();
      await kit.service.app
        .get(Outbox)
        .publish(kit.service.app.get(DataSource).manager, 'jobs.testkit.low', { id: 1 });
      await waitFor(async () => (await jsm.streams.info('JOBS')).state.last_seq > before, {
        timeoutMs: 10_000,
      });
      // Well under the relay's 5 s idle backstop: it was woken by NOTIFY on its new connection.
      expect(Date.now() - writtenAt).toBeLessThan(2_000);
    } finally {
      await relay.stop();
    }
  }, 60_000);
});
