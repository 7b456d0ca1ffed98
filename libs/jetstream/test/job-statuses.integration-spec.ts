import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { contractMap, defineJob } from '@lib/contracts';
import { createDataSource } from '@lib/db';
import {
  runCli,
  createMigratedTestDatabase,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import {
  DefaultRuntimeSettings,
  DefaultStreamSettings,
  DiscardError,
  JetStreamPublisher,
  JobStatuses,
  JobStatusRecorder,
  UnrecoverableError,
  WorkerMetrics,
  WorkerRuntime,
  type JobHandler,
} from '@lib/jetstream';

const Job = z.object({ outcome: z.enum(['ok', 'fail-once', 'fail-always', 'unrecoverable', 'discard']) });
type Job = z.infer<typeof Job>;

const StatuskitContracts = contractMap(
  defineJob({
    subject: 'jobs.statuskit.work',
    schema: Job,
    description: 'a job whose outcome the payload decides',
    options: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 1500 } },
  }),
  defineJob({
    subject: 'jobs.statuskit.noop',
    schema: Job,
    description: 'a high-volume job kept out of job_statuses',
    options: { trackStatus: false },
  }),
);

describe('job statuses', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let nc: NatsConnection;
  let dataSource: DataSource;
  let recorder: JobStatusRecorder;
  let runtime: WorkerRuntime;
  let publisher: JetStreamPublisher<typeof StatuskitContracts>;
  let statuses: JobStatuses;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    nc = await connect({ servers: nats.url });
    dataSource = await createDataSource({ url: database.url, applicationName: 'statuskit' }).initialize();
    recorder = new JobStatusRecorder(dataSource, logger);
    recorder.start();
    statuses = new JobStatuses(dataSource);
    runtime = new WorkerRuntime({
      app: 'statuskit',
      version: 'test',
      contracts: StatuskitContracts,
      nc,
      logger,
      metrics: new WorkerMetrics('statuskit'),
      statuses: recorder,
      settings: { ...DefaultRuntimeSettings, ackWaitMs: 2000, streams: DefaultStreamSettings },
    });
    const work = async (job: Job, ctx: { attempt: number }) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (job.outcome === 'fail-once' && ctx.attempt === 1) throw new Error('SMTP 421 try again');
      if (job.outcome === 'fail-always') throw new Error(`failed attempt ${ctx.attempt}`);
      if (job.outcome === 'unrecoverable') throw new UnrecoverableError('no such poll');
      if (job.outcome === 'discard') throw new DiscardError('poll deleted meanwhile');
    };
    const handler = (location: string): JobHandler => ({
      location,
      invoke: (payload, ctx) => work(payload as Job, ctx),
    });
    await runtime.start(
      new Map([
        ['jobs.statuskit.work', [handler('Statuskit.work')]],
        ['jobs.statuskit.noop', [handler('Statuskit.noop')]],
      ]),
    );
    publisher = new JetStreamPublisher(nc.jetstream(), StatuskitContracts, 'urn:test', undefined, recorder);
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await recorder?.stop();
    await dataSource?.destroy();
    await nc?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  const settled = (id: string, state: string) =>
    waitFor(
      async () => {
        const status = await statuses.status(id);
        return status?.state === state ? status : null;
      },
      { description: `job ${id} ${state}` },
    );

  it('follows a job from enqueue to completion with its timestamps and duration', async () => {
    const before = Date.now();
    const { id } = await publisher.publish('jobs.statuskit.work', { outcome: 'ok' });
    const status = await settled(id, 'completed');
    expect(status).toMatchObject({ id, subject: 'jobs.statuskit.work', attempt: 1, lastError: null });
    expect(status.enqueuedAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(status.startedAt!.getTime()).toBeGreaterThanOrEqual(status.enqueuedAt!.getTime());
    expect(status.finishedAt!.getTime()).toBeGreaterThanOrEqual(status.startedAt!.getTime());
    expect(status.durationMs).toBeGreaterThanOrEqual(15);
    expect(status.nextAttemptAt).toBeNull();
  });

  it('shows a retrying job with its attempt, next run and last error, then its completion', async () => {
    const { id } = await publisher.publish('jobs.statuskit.work', { outcome: 'fail-once' });
    const retrying = await settled(id, 'retrying');
    expect(retrying).toMatchObject({ attempt: 1, lastError: 'SMTP 421 try again' });
    expect(retrying.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now());
    const done = await settled(id, 'completed');
    expect(done).toMatchObject({ attempt: 2, nextAttemptAt: null, lastError: 'SMTP 421 try again' });
  });

  it('tells failed (unrecoverable), dead (attempts exhausted) and cancelled (discarded) apart', async () => {
    const failed = await publisher.publish('jobs.statuskit.work', { outcome: 'unrecoverable' });
    const dead = await publisher.publish('jobs.statuskit.work', { outcome: 'fail-always' });
    const discarded = await publisher.publish('jobs.statuskit.work', { outcome: 'discard' });
    expect(await settled(failed.id, 'failed')).toMatchObject({ attempt: 1, lastError: 'no such poll' });
    expect(await settled(discarded.id, 'cancelled')).toMatchObject({ lastError: 'poll deleted meanwhile' });
    expect(await settled(dead.id, 'dead')).toMatchObject({ attempt: 2, lastError: 'failed attempt 2' });
  });

  it('keeps no row for a subject that opted out, nor for an unknown id', async () => {
    const tracked = await publisher.publish('jobs.statuskit.work', { outcome: 'ok' });
    const untracked = await publisher.publish('jobs.statuskit.noop', { outcome: 'ok' });
    await settled(tracked.id, 'completed');
    await recorder.flush();
    expect(await statuses.status(untracked.id)).toBeNull();
    expect(await statuses.status('no-such-job')).toBeNull();
  });

  it('never lets a late "enqueued" report hide a state the job reached by running, nor rewrite its row', async () => {
    const at = Date.now();
    // The worker's report carries the enqueue time it read from the stream.
    recorder.record({
      id: 'late',
      subject: 'jobs.statuskit.work',
      state: 'completed',
      at,
      enqueuedAt: at - 10,
      finishedAt: at,
    });
    await recorder.flush();
    const version = async () =>
      (
        (await dataSource.query(`SELECT xmin::text AS v FROM job_statuses WHERE id = 'late'`)) as {
          v: string;
        }[]
      )[0].v;
    const before = await version();
    recorder.record({
      id: 'late',
      subject: 'jobs.statuskit.work',
      state: 'enqueued',
      at: at + 5,
      enqueuedAt: at - 8,
    });
    await recorder.flush();
    expect(await statuses.status('late')).toMatchObject({
      state: 'completed',
      enqueuedAt: new Date(at - 10),
    });
    // Not even a new row version: the publisher's report found the row and did nothing.
    expect(await version()).toBe(before);
  });

  it('is shown by `npm run cli -- jobs show <id>`, for people and as JSON; an unknown id exits with 3', async () => {
    // A job waiting for its second attempt for an hour, so it stays that way while the CLI starts.
    const id = 'cli-job';
    const at = Date.parse('2026-01-02T03:04:05Z');
    recorder.record({
      id,
      subject: 'jobs.statuskit.work',
      state: 'processing',
      at,
      attempt: 1,
      startedAt: at,
    });
    recorder.record({
      id,
      subject: 'jobs.statuskit.work',
      state: 'retrying',
      at: at + 250,
      attempt: 1,
      finishedAt: at + 250,
      nextAttemptAt: at + 3600_000,
      lastError: 'SMTP 421 try again',
    });
    await recorder.flush();
    const [text, json, unknown] = await Promise.all([
      runCli(['jobs', 'show', id], { DATABASE_URL: database.url }),
      runCli(['--json', 'jobs', 'show', id], { DATABASE_URL: database.url }),
      runCli(['jobs', 'show', 'no-such-job'], { DATABASE_URL: database.url }),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`job ${id}: jobs.statuskit.work`);
    expect(text.stdout).toMatch(/state +retrying \(attempt 1, next at 2026-01-02 04:04:05 UTC\)/);
    expect(text.stdout).toMatch(/started +2026-01-02 03:04:05 UTC/);
    expect(text.stdout).toMatch(/last error +SMTP 421 try again/);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, state: 'retrying', attempt: 1 });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('no status for job no-such-job');
  }, 90_000);

  it('deletes rows past the retention', async () => {
    const { id } = await publisher.publish('jobs.statuskit.work', { outcome: 'ok' });
    await settled(id, 'completed');
    const shortLived = new JobStatusRecorder(dataSource, logger, { ...recorder.settings, retentionMs: 0 });
    expect(await shortLived.purgeExpired()).toBeGreaterThan(0);
    expect(await statuses.status(id)).toBeNull();
  });
});
