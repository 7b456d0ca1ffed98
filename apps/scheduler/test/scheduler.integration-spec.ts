import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { CronTable } from '@lib/contracts';
import { openCronState, type RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { SchedulerConfigSchema } from '../src/config';
import { SchedulerModule } from '../src/scheduler.module';

describe('scheduler app', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let scheduler: RunningService;
  let client: NatsConnection;

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    scheduler = await startServiceUnderTest({
      name: 'scheduler',
      module: SchedulerModule,
      configSchema: SchedulerConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
    });
    client = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await scheduler?.stop();
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  it('takes up every entry of the cron table', async () => {
    const store = await openCronState(client);
    for (const entry of CronTable) {
      await waitFor(() => store.read(entry.name), { description: `cron state of ${entry.name}` });
    }
  });

  it('relays outbox rows written by anyone, e.g. with plain SQL', async () => {
    const id = randomUUID();
    const { DataSource } = await import('typeorm');
    const dataSource = await new DataSource({ type: 'postgres', url: database.url }).initialize();
    try {
      await dataSource.query(
        `INSERT INTO outbox_messages (id, subject, payload) VALUES ($1, 'jobs.janitor.prune-processed-messages', '{"olderThanDays": 30}')`,
        [id],
      );
    } finally {
      await dataSource.destroy();
    }
    const jsm = await client.jetstreamManager();
    const stored = await waitFor(async () => {
      const info = await jsm.streams.info('JOBS');
      return info.state.messages > 0 ? jsm.streams.getMessage('JOBS', { seq: info.state.last_seq }) : null;
    });
    expect(stored.header.get('Nats-Msg-Id')).toBe(id);
    const metrics = await (await fetch(`${scheduler.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/outbox_lag_seconds\{app="scheduler"\} 0/);
  });
});
