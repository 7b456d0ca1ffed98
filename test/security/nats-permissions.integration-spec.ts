import { randomUUID } from 'node:crypto';
import { AppNames, Contracts, subjectsHandledBy, type AppName } from '@lib/contracts';
import {
  DefaultRuntimeSettings,
  DefaultStreamSettings,
  durableName,
  KvBuckets,
  ObjectBuckets,
  ObjectFiles,
  openCronState,
  UniqueJobLocks,
  WorkerMetrics,
  WorkerRuntime,
  type JobHandler,
} from '@lib/jetstream';
import { createMigratedTestDatabase, startServiceUnderTest, waitFor } from '@lib/testing';
import { PollerConfigSchema } from '../../apps/poller/src/config';
import { PollerModule } from '../../apps/poller/src/poller.module';
import { SchedulerConfigSchema } from '../../apps/scheduler/src/config';
import { SchedulerModule } from '../../apps/scheduler/src/scheduler.module';
import type { JetStreamManager, NatsConnection } from 'nats';
import pino from 'pino';
import { startSecuredNats, type SecuredNats } from './secured-nats';

/*
 * Every app runs its real runtime (stream provisioning, its KV buckets, its durable consumers, pulls, acks,
 * dead letters, heartbeats) as its own NATS user against deploy/nats/auth.conf, and is refused anything else.
 */
describe('least-privilege NATS users (deploy/nats/auth.conf)', () => {
  let nats: SecuredNats;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const connections: NatsConnection[] = [];
  const runtimes: WorkerRuntime[] = [];
  const warnings: string[] = [];

  beforeAll(async () => {
    nats = await startSecuredNats();
    admin = await nats.connectAs('admin');
    jsm = await admin.jetstreamManager();
  });

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close().catch(() => undefined);
    for (const nc of connections) await nc.close().catch(() => undefined);
    await admin?.close();
    await nats?.stop();
  });

  const violations = () =>
    nats
      .log()
      .split('\n')
      .filter((line) => /Violation/i.test(line));

  async function connectAs(user: string): Promise<NatsConnection> {
    const nc = await nats.connectAs(user, { name: `${user}@test` });
    connections.push(nc);
    return nc;
  }

  /** The same runtime startService builds, with handlers that accept anything. */
  async function startRuntime(app: AppName): Promise<WorkerRuntime> {
    const nc = await connectAs(app);
    const js = nc.jetstream();
    const uniqueLocks = new UniqueJobLocks(
      await js.views.kv(KvBuckets.uniqueJobs, { history: 1, ttl: 24 * 3600_000 }),
    );
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const runtime = new WorkerRuntime({
      app,
      version: 'test',
      contracts: Contracts,
      nc,
      logger,
      metrics: new WorkerMetrics(app),
      uniqueLocks,
      settings: { ...DefaultRuntimeSettings, streams: DefaultStreamSettings },
    });
    const handlers = new Map<string, JobHandler[]>(
      subjectsHandledBy(Contracts, app).map((c) => [
        c.subject,
        [{ location: 'test', invoke: () => undefined }],
      ]),
    );
    await runtime.start(handlers);
    runtimes.push(runtime);
    return runtime;
  }

  it('lets every app boot its runtime and consume, ack and dead-letter its own subjects', async () => {
    for (const app of AppNames) await startRuntime(app);
    // A body that is not JSON goes to the DLQ at once: pulled, dead-lettered and acked by the app's user.
    const handled = AppNames.flatMap((app) => subjectsHandledBy(Contracts, app).map((c) => ({ app, c })));
    expect(handled.length).toBeGreaterThan(10);
    const js = admin.jetstream();
    for (const { c } of handled) await js.publish(c.subject, 'not json', { msgID: randomUUID() });
    for (const { app, c } of handled) {
      const consumer = c.kind === 'job' ? 'JOBS' : 'EVENTS';
      await waitFor(
        async () => {
          const info = await jsm.consumers.info(consumer, durableName(app, c.subject));
          return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.consumer_seq >= 1;
        },
        { timeoutMs: 15_000, description: `${app} acked ${c.subject}` },
      );
    }
    // Each app dead-lettered its own copy (an event consumed by two apps is dead-lettered by both).
    const { state } = await jsm.streams.info('DLQ');
    const deadLettered = new Set<string>();
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const dead = await jsm.streams.getMessage('DLQ', { seq });
      deadLettered.add(`${dead.header.get('Dlq-Service')} ${dead.subject}`);
    }
    expect(deadLettered).toEqual(new Set(handled.map(({ app, c }) => `${app} dlq.${c.subject}`)));
    const beats = await (await admin.jetstream().views.kv(KvBuckets.workers)).keys();
    const apps = new Set<string>();
    for await (const key of beats) apps.add(key.split('.')[0]);
    expect([...apps].sort()).toEqual([...AppNames].sort());
    expect(violations()).toEqual([]);
    // Dead-lettering is logged as an error; anything else (a pull problem, a DLQ refusal) would be a finding.
    expect(warnings.filter((line) => !line.includes('"msg":"job moved to the DLQ"'))).toEqual([]);
  }, 90_000);

  it('lets each app publish what it publishes, and the scheduler relay every subject and use the cron bucket', async () => {
    const relay = (await connectAs('scheduler')).jetstream();
    for (const subject of Object.keys(Contracts)) {
      await relay.publish(subject, '{}', { msgID: randomUUID() });
    }
    const cron = await openCronState(connections.at(-1)!);
    await cron.modify('permissions-test', (state) => ({ ...state, paused: true }));
    const poller = (await connectAs('poller')).jetstream();
    await poller.publish('events.poll.reminded', '{}', { msgID: randomUUID() });
    await poller.publish('jobs.poller.recompute-stance-scores', '{}', { msgID: randomUUID() });
    const publisher = await nats.connectAs('publisher', { inboxPrefix: '_INBOX_publisher' });
    connections.push(publisher);
    const ack = await publisher.jetstream().publish('events.poll.closed', '{}', { msgID: randomUUID() });
    expect(ack.stream).toBe('EVENTS');
    const exporter = await connectAs('exporter');
    for (const bucket of Object.values(ObjectBuckets)) {
      const files = await ObjectFiles.open(exporter, bucket);
      await files.put('permissions-test.csv', [Buffer.from('id\n1\n')]);
      expect((await files.getBytes('permissions-test.csv'))?.toString()).toBe('id\n1\n');
      expect(await files.delete('permissions-test.csv')).toBe(true);
    }
    expect(violations()).toEqual([]);
  });

  it('boots the real scheduler and poller apps with credentials from their environment, and relays the outbox', async () => {
    // The stand-in runtimes of the first test share the poller's durable: stop them so the real app runs the job.
    for (const runtime of runtimes.splice(0)) await runtime.close();
    const database = await createMigratedTestDatabase();
    const started = [];
    try {
      const env = (user: string) => ({ NATS_USER: user, NATS_PASSWORD: nats.passwords[user] });
      started.push(
        await startServiceUnderTest({
          name: 'scheduler',
          module: SchedulerModule,
          configSchema: SchedulerConfigSchema,
          natsUrl: nats.url,
          databaseUrl: database.url,
          env: env('scheduler'),
        }),
      );
      // The other spelling: credentials in the URL (taken out before nats.js sees it).
      const credentialsInUrl = nats.url.replace('//', `//poller:${nats.passwords.poller}@`);
      started.push(
        await startServiceUnderTest({
          name: 'poller',
          module: PollerModule,
          configSchema: PollerConfigSchema,
          natsUrl: credentialsInUrl,
          databaseUrl: database.url,
        }),
      );
      const id = randomUUID();
      const { DataSource } = await import('typeorm');
      const sql = await new DataSource({ type: 'postgres', url: database.url }).initialize();
      await sql
        .query(
          `INSERT INTO outbox_messages (id, subject, payload) VALUES ($1, 'jobs.poller.close-expired-polls', '{}')`,
          [id],
        )
        .finally(() => sql.destroy());
      // Relayed by the scheduler's user, then pulled, run and acked by the poller's.
      const poller = started[1];
      await waitFor(
        async () => {
          const metrics = await (await fetch(`${poller.httpUrl}/metrics`)).text();
          return /jobs_processed_total\{subject="jobs.poller.close-expired-polls",app="poller"\} [1-9]/.test(
            metrics,
          );
        },
        { timeoutMs: 20_000, description: 'the relayed job ran in the poller' },
      );
      expect(violations()).toEqual([]);
    } finally {
      for (const service of started) await service.stop();
      await database.drop();
    }
  }, 60_000);

  describe('refuses', () => {
    let poller: NatsConnection;
    const errors: string[] = [];

    beforeAll(async () => {
      poller = await connectAs('poller');
      void (async () => {
        for await (const status of poller.status())
          if (status.type === 'error') errors.push(String(status.data));
      })();
    });

    async function expectRefused(user: string, attempt: () => Promise<unknown>, subject: string) {
      const before = violations().length;
      await expect(attempt()).rejects.toThrow();
      await waitFor(() => violations().length > before, { description: `a violation on ${subject}` });
      const line = violations().slice(before).join('\n');
      expect(line).toContain(`User "${user}"`);
      expect(line).toContain(subject);
    }

    it("a foreign job subject, another app's consumer and another app's KV bucket", async () => {
      const js = poller.jetstream({ timeout: 1500 });
      await expectRefused(
        'poller',
        () => js.publish('jobs.notifier.deliver-email', '{}'),
        'jobs.notifier.deliver-email',
      );
      const notifierDurable = durableName('notifier', 'jobs.notifier.deliver-email');
      const pull = `$JS.API.CONSUMER.MSG.NEXT.JOBS.${notifierDurable}`;
      await expectRefused('poller', () => poller.request(pull, '{"batch":1}', { timeout: 1500 }), pull);
      await expectRefused(
        'poller',
        () => js.views.kv(KvBuckets.cron, { bindOnly: true }).then((kv) => kv.get('close-expired-polls')),
        'KV_cron',
      );
      await expectRefused(
        'poller',
        () => ObjectFiles.open(poller, ObjectBuckets.exports).then((files) => files.list()),
        'OBJ_exports',
      );
      const deleteStream = '$JS.API.STREAM.DELETE.JOBS';
      await expectRefused('poller', () => poller.request(deleteStream, '', { timeout: 1500 }), deleteStream);
      expect(errors.some((e) => /PERMISSIONS_VIOLATION/i.test(e))).toBe(true);
    });

    it('a job, or any stream API call, from the publisher of domain events', async () => {
      const publisher = await nats.connectAs('publisher', { inboxPrefix: '_INBOX_publisher' });
      connections.push(publisher);
      const js = publisher.jetstream({ timeout: 1500 });
      await expectRefused(
        'publisher',
        () => js.publish('jobs.janitor.destroy-group', '{}'),
        'jobs.janitor.destroy-group',
      );
      await expectRefused('publisher', () => publisher.jetstreamManager({ timeout: 1500 }), '$JS.API.INFO');
    });

    it('a client without credentials or with a wrong password', async () => {
      await expect(nats.connectAs('nobody', { user: undefined, pass: undefined })).rejects.toThrow(
        /Authorization Violation/,
      );
      await expect(nats.connectAs('poller', { pass: 'wrong' })).rejects.toThrow(/Authorization Violation/);
    });
  });
});
