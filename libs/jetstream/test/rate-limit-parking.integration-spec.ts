import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { AttemptsSpentHeader } from '@lib/contracts';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { JetStreamPublisher, OutboxRelay, ServiceConfigSchema, type RunningService } from '@lib/jetstream';
import { RatekitContracts, RatekitModule, RatekitSubjects, type RatekitReport } from './fixtures/ratekit';

describe('jobs that must wait long for their key', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let client: NatsConnection;
  let service: RunningService;
  let relay: OutboxRelay | undefined;
  const reports: (RatekitReport & { what: string })[] = [];

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    client = await connect({ servers: nats.url });
    const paused = new Set<number>();
    service = await startServiceUnderTest({
      name: 'ratekit',
      module: RatekitModule.with(
        { publish: (what, data) => reports.push({ what, ...(JSON.parse(data) as RatekitReport) }) },
        async (id) => !paused.has(id) && Boolean(paused.add(id)),
      ),
      configSchema: ServiceConfigSchema,
      contracts: RatekitContracts,
      natsUrl: nats.url,
      databaseUrl: database.url,
      // Waits above 1 s go to the outbox rather than a delayed nak.
      env: { RATE_LIMIT_MAX_NAK_DELAY_MS: '1000' },
    });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
    await service?.stop();
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  it('are parked in the outbox, off max_ack_pending, and come back unspent when the pause ends', async () => {
    const publisher = new JetStreamPublisher(client.jetstream(), RatekitContracts, 'urn:test');
    const dataSource = service.app.get(DataSource);
    await publisher.publish('jobs.ratekit.send', { id: 1, key: 'slow-api', pauseMs: 3_000 });
    await waitFor(() => reports.some((r) => r.what === RatekitSubjects.started && r.id === 1));
    await publisher.publish('jobs.ratekit.send', { id: 2, key: 'slow-api' });

    const parked = await waitFor(
      async () => {
        const rows = await dataSource.query<{ headers: Record<string, string>; deliver_at: Date }[]>(
          `SELECT headers, deliver_at FROM outbox_messages WHERE subject = 'jobs.ratekit.send'`,
        );
        return rows.length === 2 ? rows : null;
      },
      { description: 'both jobs of the paused key parked in the outbox' },
    );
    expect(parked.map((row) => row.headers[AttemptsSpentHeader])).toEqual(['0', '0']);
    const jsm = await client.jetstreamManager();
    const consumer = await jsm.consumers.info('JOBS', 'ratekit__jobs_ratekit_send');
    expect(consumer.num_ack_pending + consumer.num_pending).toBe(0);

    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/jobs_throttled_total\{[^}]*reason="paused"[^}]*\} 2\n/);
    expect(metrics).toMatch(/rate_limit_paused_keys\{[^}]*\} 1\n/);

    relay = new OutboxRelay(dataSource, client.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
    await waitFor(() => reports.filter((r) => r.what === RatekitSubjects.finished).length === 2, {
      timeoutMs: 15_000,
      description: 'both jobs run after the pause',
    });
    const runs = reports.filter((r) => r.what === RatekitSubjects.started).map((r) => [r.id, r.attempt]);
    // Job 1 ran once (and paused the key), then both ran after the pause as their first attempt.
    expect(runs[0]).toEqual([1, 1]);
    expect(runs.slice(1).sort()).toEqual([
      [1, 1],
      [2, 1],
    ]);
  }, 40_000);
});
