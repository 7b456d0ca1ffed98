import { connect, type NatsConnection, type Subscription } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { BatchOutcome, contractMap, defineJob, type Contract } from '@lib/contracts';
import { createDataSource, DelayedJobs, Outbox } from '@lib/db';
import {
  runCli,
  createMigratedTestDatabase,
  sleep,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import {
  consumerConfig,
  DeadLetters,
  DefaultRuntimeSettings,
  DefaultStreamSettings,
  DiscardError,
  ensureConsumer,
  ensureStreams,
  JobBatches,
  JobStatuses,
  JobStatusRecorder,
  MaxDeliveriesWatcher,
  OutboxRelay,
  ScheduledJobs,
  UnrecoverableError,
  WorkerMetrics,
  WorkerRuntime,
  type JobHandler,
} from '@lib/jetstream';
import {
  BatchkitContracts,
  BatchkitSubjects,
  spawnBatchkitWorker,
  type BatchkitCallback,
  type BatchkitMember,
  type BatchkitRun,
} from './fixtures/batchkit';
import type { WorkerProcess } from './fixtures/spawn-worker';

const Step = z.object({
  outcome: z.enum(['ok', 'fail-once', 'fail-always', 'unrecoverable', 'discard']),
  sleepMs: z.number().int().optional(),
});
type Step = z.infer<typeof Step>;
const Finished = z.object({ tag: z.string(), ...BatchOutcome });
type Finished = z.infer<typeof Finished>;

const twoAttempts = { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 1000 } } as const;

/** Jobs run in this process (`statekit`), one started late (`latekit`), one nobody acknowledges (`stuckkit`). */
const LocalContracts = contractMap(
  defineJob({ subject: 'jobs.statekit.step', schema: Step, description: 'a step', options: twoAttempts }),
  defineJob({
    subject: 'jobs.statekit.finished',
    schema: Finished,
    description: 'a callback',
    options: twoAttempts,
  }),
  defineJob({ subject: 'jobs.latekit.step', schema: Step, description: 'a late step', options: twoAttempts }),
  defineJob({
    subject: 'jobs.stuckkit.hang',
    schema: Step,
    description: 'never acked',
    options: twoAttempts,
  }),
  defineJob({
    subject: 'jobs.stuckkit.finished',
    schema: Finished,
    description: 'a callback',
    options: twoAttempts,
  }),
);
const AllContracts = { ...LocalContracts, ...BatchkitContracts };

describe('job batches and the scheduled and dead states', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let nc: NatsConnection;
  let dataSource: DataSource;
  let recorder: JobStatusRecorder;
  let relay: OutboxRelay;
  let batches: JobBatches;
  let statuses: JobStatuses;
  const runtimes: WorkerRuntime[] = [];
  const callbacks: Finished[] = [];
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

  const work = async (job: Step, ctx: { attempt: number }) => {
    await sleep(job.sleepMs ?? 5);
    if (job.outcome === 'fail-once' && ctx.attempt === 1) throw new Error('SMTP 421 try again');
    if (job.outcome === 'fail-always') throw new Error(`failed attempt ${ctx.attempt}`);
    if (job.outcome === 'unrecoverable') throw new UnrecoverableError('no such poll');
    if (job.outcome === 'discard') throw new DiscardError('poll deleted meanwhile');
  };
  const handler = (
    location: string,
    run: (payload: unknown, ctx: { attempt: number }) => unknown,
  ): JobHandler => ({
    location,
    invoke: (payload, ctx) => run(payload, ctx),
  });

  async function startRuntime(app: string, handlers: Map<string, JobHandler[]>): Promise<WorkerRuntime> {
    const runtime = new WorkerRuntime({
      app,
      version: 'test',
      contracts: LocalContracts,
      nc,
      logger,
      metrics: new WorkerMetrics(app),
      statuses: recorder,
      batches,
      settings: { ...DefaultRuntimeSettings, ackWaitMs: 2000, streams: DefaultStreamSettings },
    });
    runtimes.push(runtime);
    await runtime.start(handlers);
    return runtime;
  }

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    nc = await connect({ servers: nats.url });
    dataSource = await createDataSource({ url: database.url, applicationName: 'batchkit-test' }).initialize();
    await ensureStreams(await nc.jetstreamManager(), DefaultStreamSettings);
    recorder = new JobStatusRecorder(dataSource, logger);
    recorder.start();
    statuses = new JobStatuses(dataSource);
    batches = new JobBatches(dataSource, AllContracts, 'urn:test');
    relay = new OutboxRelay(dataSource, nc.jetstream(), database.url, logger, {
      batchSize: 500,
      maxIdleMs: 500,
      retryDelayMs: 100,
    });
    await relay.start();
    await startRuntime(
      'statekit',
      new Map([
        ['jobs.statekit.step', [handler('Statekit.step', (p, ctx) => work(p as Step, ctx))]],
        ['jobs.statekit.finished', [handler('Statekit.finished', (p) => void callbacks.push(p as Finished))]],
      ]),
    );
  }, 60_000);

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
    await relay?.stop();
    await recorder?.stop();
    await dataSource?.destroy();
    await nc?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  /** Polls the job's status and returns the states seen, in order, until it reaches `last`. */
  async function statesUntil(id: string, last: string, timeoutMs = 20_000): Promise<string[]> {
    const seen: string[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const state = (await statuses.status(id))?.state;
      if (state && seen[seen.length - 1] !== state) seen.push(state);
      if (state === last) return seen;
      await sleep(15);
    }
    throw new Error(`job ${id} never reached ${last}; seen ${seen.join(' → ')}`);
  }

  /** On a timeout, says how far each batch got, so a failure explains itself. */
  const callbackOf = (tag: string) =>
    waitFor(() => callbacks.find((callback) => callback.tag === tag), {
      timeoutMs: 20_000,
      description: `callback ${tag}`,
    }).catch(async (error: Error) => {
      const progress = (await dataSource.query(
        `SELECT name, total, succeeded, failed, finished_at FROM job_batches ORDER BY created_at`,
      )) as unknown[];
      const waiting = (await dataSource.query(
        `SELECT subject, headers->>'ce-id' AS id, attempts, last_error FROM outbox_messages`,
      )) as unknown[];
      throw new Error(
        `${error.message}; batches: ${JSON.stringify(progress)}; outbox: ${JSON.stringify(waiting)}`,
      );
    });

  it('shows a delayed job scheduled, then enqueued once published, then processing, retrying and completed', async () => {
    const scheduled = new ScheduledJobs(
      dataSource,
      new DelayedJobs(dataSource, new Outbox(AllContracts, 'urn:test')),
      AllContracts,
    );
    const job = await scheduled.enqueue(
      'jobs.latekit.step',
      { outcome: 'fail-once', sleepMs: 300 },
      { delayMs: 1500 },
    );
    expect(await statuses.status(job.id)).toMatchObject({ state: 'scheduled', scheduledFor: job.deliverAt });
    // Nobody runs latekit jobs yet: once the relay published it, it stays enqueued.
    expect(await statesUntil(job.id, 'enqueued')).toEqual(['scheduled', 'enqueued']);
    await startRuntime(
      'latekit',
      new Map([['jobs.latekit.step', [handler('Latekit.step', (p, ctx) => work(p as Step, ctx))]]]),
    );
    const seen = await statesUntil(job.id, 'completed');
    expect(seen).toEqual(['enqueued', 'processing', 'retrying', 'processing', 'completed']);
    expect(await statuses.status(job.id)).toMatchObject({ attempt: 2, lastError: 'SMTP 421 try again' });
  }, 30_000);

  it('counts completed, failed, dead and cancelled members and sends onComplete, not onSuccess', async () => {
    const outcomes: Step['outcome'][] = ['ok', 'fail-once', 'unrecoverable', 'fail-always', 'discard', 'ok'];
    const batch = await batches.create(
      'mixed',
      outcomes.map((outcome) => ({ subject: 'jobs.statekit.step', payload: { outcome } })),
      {
        onComplete: { subject: 'jobs.statekit.finished', payload: { tag: 'mixed' } },
        onSuccess: { subject: 'jobs.statekit.finished', payload: { tag: 'mixed-success' } },
      },
    );
    const finished = await callbackOf('mixed');
    expect(finished).toMatchObject({ batchId: batch.id, name: 'mixed', total: 6, succeeded: 3, failed: 3 });
    const byJob = Object.fromEntries(finished.failures.map((failure) => [failure.jobId, failure]));
    expect(byJob[batch.jobIds[2]]).toMatchObject({ state: 'failed', error: 'no such poll' });
    expect(byJob[batch.jobIds[3]]).toMatchObject({ state: 'dead', error: 'failed attempt 2' });
    expect(byJob[batch.jobIds[4]]).toMatchObject({ state: 'cancelled', error: 'poll deleted meanwhile' });
    expect((await statuses.status(batch.jobIds[4]))?.state).toBe('cancelled');
    await sleep(1500);
    expect(callbacks.filter((callback) => callback.tag.startsWith('mixed'))).toHaveLength(1);
  }, 30_000);

  it('is shown by `npm run cli -- jobs batch <id>`, for people and as JSON; an unknown batch exits with 3', async () => {
    const batch = await batches.create(
      'shown',
      (['ok', 'unrecoverable'] as const).map((outcome) => ({
        subject: 'jobs.statekit.step',
        payload: { outcome },
      })),
      { onComplete: { subject: 'jobs.statekit.finished', payload: { tag: 'shown' } } },
    );
    await callbackOf('shown');
    const [text, json, unknown] = await Promise.all([
      runCli(['jobs', 'batch', batch.id], { DATABASE_URL: database.url }),
      runCli(['--json', 'jobs', 'batch', batch.id], { DATABASE_URL: database.url }),
      runCli(['jobs', 'batch', '00000000-0000-4000-8000-000000000000'], { DATABASE_URL: database.url }),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`batch ${batch.id}: shown \\(finished .* UTC\\)`));
    expect(text.stdout).toMatch(/succeeded +1\n +failed +1/);
    expect(text.stdout).toContain(`failed       ${batch.jobIds[1]} jobs.statekit.step: no such poll`);
    expect(JSON.parse(json.stdout)).toMatchObject({ batchId: batch.id, total: 2, succeeded: 1, failed: 1 });
    expect(unknown.code).toBe(3);
  }, 60_000);

  it('sends onComplete and onSuccess when every member completed, and finishes an empty batch at once', async () => {
    await batches.create(
      'all-good',
      [1, 2, 3].map(() => ({ subject: 'jobs.statekit.step', payload: { outcome: 'ok' } })),
      {
        onComplete: { subject: 'jobs.statekit.finished', payload: { tag: 'good' } },
        onSuccess: { subject: 'jobs.statekit.finished', payload: { tag: 'good-success' } },
      },
    );
    expect(await callbackOf('good-success')).toMatchObject({
      total: 3,
      succeeded: 3,
      failed: 0,
      failures: [],
    });
    expect(await callbackOf('good')).toMatchObject({ total: 3, succeeded: 3 });
    const empty = await batches.create('empty', [], {
      onComplete: { subject: 'jobs.statekit.finished', payload: { tag: 'empty' } },
    });
    expect(await callbackOf('empty')).toMatchObject({ batchId: empty.id, total: 0, succeeded: 0, failed: 0 });
  }, 30_000);

  it('counts a member reported many times, concurrently, once, and queues the callback exactly once', async () => {
    const batch = await batches.create(
      'raced',
      Array.from({ length: 40 }, () => ({
        subject: 'jobs.stuckkit.hang',
        payload: { outcome: 'ok' },
        deliverAt: new Date(Date.now() + 3600_000),
      })),
      { onComplete: { subject: 'jobs.stuckkit.finished', payload: { tag: 'raced' } } },
    );
    // Every member reported by three "replicas" at once, one of them saying it failed.
    await Promise.all(
      batch.jobIds.flatMap((jobId, i) =>
        (['completed', 'completed', i === 7 ? 'dead' : 'completed'] as const).map((state) =>
          batches.recordFinal({ batchId: batch.id, jobId, subject: 'jobs.stuckkit.hang', state }),
        ),
      ),
    );
    const outcome = await batches.outcome(batch.id);
    expect(outcome).toMatchObject({ total: 40 });
    expect(outcome!.succeeded + outcome!.failed).toBe(40);
    expect(outcome!.finishedAt).not.toBeNull();
    // Nobody consumes the callback's subject: the stream keeps every copy the relay published.
    await waitFor(
      async () => {
        const rows = (await dataSource.query(
          `SELECT 1 FROM outbox_messages WHERE subject = 'jobs.stuckkit.finished'`,
        )) as unknown[];
        return rows.length === 0;
      },
      { description: 'the callback relayed' },
    );
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info('JOBS', { subjects_filter: 'jobs.stuckkit.finished' });
    expect(info.state.subjects).toEqual({ 'jobs.stuckkit.finished': 1 });
    const callback = await jsm.streams.getMessage('JOBS', { last_by_subj: 'jobs.stuckkit.finished' });
    expect(callback.json<Finished>()).toMatchObject({ tag: 'raced', batchId: batch.id, total: 40 });
    await dataSource.query(`DELETE FROM outbox_messages WHERE subject = 'jobs.stuckkit.hang'`);
  }, 30_000);

  it('purges batches finished before the retention, with their members, and keeps the others', async () => {
    const old = await batches.create('old', [{ subject: 'jobs.statekit.step', payload: { outcome: 'ok' } }], {
      onComplete: { subject: 'jobs.statekit.finished', payload: { tag: 'old' } },
    });
    await callbackOf('old');
    const recent = await batches.create('recent', [], {});
    const running = await batches.create(
      'running',
      [
        {
          subject: 'jobs.stuckkit.hang',
          payload: { outcome: 'ok' },
          deliverAt: new Date(Date.now() + 3600_000),
        },
      ],
      {},
    );
    await dataSource.query(
      `UPDATE job_batches SET finished_at = now() - interval '8 days', created_at = now() - interval '9 days'
       WHERE id = $1`,
      [old.id],
    );
    await dataSource.query(`UPDATE job_batches SET created_at = now() - interval '9 days' WHERE id = $1`, [
      running.id,
    ]);
    expect(await batches.purgeFinished()).toBe(1);
    expect(await batches.outcome(old.id)).toBeNull();
    const [{ members }] = (await dataSource.query(
      `SELECT count(*)::int AS members FROM job_batch_members WHERE batch_id = $1`,
      [old.id],
    )) as { members: number }[];
    expect(members).toBe(0);
    expect(await batches.outcome(recent.id)).not.toBeNull();
    expect(await batches.outcome(running.id)).not.toBeNull();
    await dataSource.query(`DELETE FROM outbox_messages WHERE subject = 'jobs.stuckkit.hang'`);
  });

  it('counts a member that dies through max deliveries (no verdict) as dead, with its status', async () => {
    const jsm = await nc.jetstreamManager();
    const hang = LocalContracts['jobs.stuckkit.hang'] as Contract;
    const config = consumerConfig('stuckkit', hang, { ackWaitMs: 1000, defaultMaxAckPending: 1000 });
    await ensureConsumer(jsm, 'JOBS', config);
    const watcher = new MaxDeliveriesWatcher(
      nc,
      jsm,
      new DeadLetters(nc.jetstream(), 'stuckkit'),
      logger,
      undefined,
      {
        statuses: recorder,
        batches,
      },
    );
    watcher.watch('JOBS', config.durable_name!, true);
    await nc.flush();
    const batch = await batches.create(
      'stuck',
      [{ subject: 'jobs.stuckkit.hang', payload: { outcome: 'ok' } }],
      {
        onComplete: { subject: 'jobs.stuckkit.finished', payload: { tag: 'stuck' } },
      },
    );
    // A worker that takes the message and never answers, until the server gives up on it.
    const consumer = await nc.jetstream().consumers.get('JOBS', config.durable_name!);
    let asking = true;
    const taking = (async () => {
      while (asking) await consumer.next({ expires: 3000 });
    })();
    const outcome = await waitFor(
      async () => {
        const current = await batches.outcome(batch.id);
        return current?.finishedAt ? current : null;
      },
      { timeoutMs: 20_000, description: 'the stuck batch finished' },
    );
    asking = false;
    await taking;
    watcher.stop();
    expect(outcome).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect(outcome.failures).toEqual([
      expect.objectContaining({
        jobId: batch.jobIds[0],
        state: 'dead',
        error: expect.stringContaining('delivered 2 times'),
      }),
    ]);
    await recorder.flush();
    expect(await statuses.status(batch.jobIds[0])).toMatchObject({ state: 'dead', attempt: 2 });
    const callback = await waitFor(
      async () => {
        const last = await jsm.streams.getMessage('JOBS', { last_by_subj: 'jobs.stuckkit.finished' });
        return last.json<Finished>().batchId === batch.id ? last.json<Finished>() : null;
      },
      { description: 'the stuck callback published' },
    );
    expect(callback).toMatchObject({ tag: 'stuck', failed: 1 });
  }, 40_000);

  describe('on two worker processes with crashes and retries', () => {
    const workers: WorkerProcess[] = [];
    let subscriptions: Subscription[] = [];

    afterAll(async () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      subscriptions = [];
      for (const worker of workers) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.exited));
    });

    it('sends exactly one callback for 1,000 jobs, 3 of them failing: 997 succeeded, 3 failed', async () => {
      const runs: BatchkitRun[] = [];
      const finished: BatchkitCallback[] = [];
      const ready: number[] = [];
      subscriptions = [
        nc.subscribe(BatchkitSubjects.ran, { callback: (_, msg) => runs.push(msg.json<BatchkitRun>()) }),
        nc.subscribe(BatchkitSubjects.finished, {
          callback: (_, msg) => finished.push(msg.json<BatchkitCallback>()),
        }),
        nc.subscribe(BatchkitSubjects.ready, {
          callback: (_, msg) => ready.push(msg.json<{ pid: number }>().pid),
        }),
      ];
      await nc.flush();
      const env = { ACK_WAIT_MS: '2000', WORKER_SLOTS: '20', PULL_WINDOW: '50' };
      let crashes = 0;
      let stopping = false;
      const spawnKept = (): void => {
        const worker = spawnBatchkitWorker(nats.url, database.url, env);
        workers.push(worker);
        // A crashed worker is replaced, as its orchestrator would do: two processes keep sharing the batch.
        void worker.exited.then(() => {
          if (stopping) return;
          crashes++;
          spawnKept();
        });
      };
      spawnKept();
      spawnKept();
      await waitFor(() => ready.length >= 2, { timeoutMs: 60_000, description: 'two batchkit workers' });

      const members: BatchkitMember[] = Array.from({ length: 1000 }, (_, n) => ({
        n,
        ...(n === 111 ? { fail: 'failed' as const } : {}),
        ...(n === 444 || n === 888 ? { fail: 'dead' as const } : {}),
        ...(n % 40 === 7 ? { failOnce: true } : {}),
        ...(n === 300 || n === 700 ? { crashOnce: true } : {}),
      }));
      const started = Date.now();
      const batch = await batches.create(
        'thousand',
        members.map((payload) => ({ subject: 'jobs.batchkit.member', payload })),
        {
          onComplete: { subject: 'jobs.batchkit.finished', payload: { tag: 'complete' } },
          onSuccess: { subject: 'jobs.batchkit.finished', payload: { tag: 'success' } },
        },
      );
      await waitFor(() => finished.length > 0, {
        timeoutMs: 120_000,
        description: 'the completion callback',
      });
      const tookMs = Date.now() - started;
      // Late duplicates would arrive within a few ack waits.
      await sleep(6000);
      stopping = true;

      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({
        tag: 'complete',
        batchId: batch.id,
        total: 1000,
        succeeded: 997,
        failed: 3,
      });
      expect(finished[0].failures.map((failure) => [failure.jobId, failure.state]).sort()).toEqual(
        [
          [batch.jobIds[111], 'failed'],
          [batch.jobIds[444], 'dead'],
          [batch.jobIds[888], 'dead'],
        ].sort(),
      );
      // The redeliveries really happened: crashes, retries, and both processes did part of the work.
      expect(crashes).toBeGreaterThanOrEqual(1);
      const ranTwice = new Set(runs.filter((run) => run.attempt > 1).map((run) => run.n));
      expect(ranTwice.size).toBeGreaterThanOrEqual(25 + 2);
      expect(new Set(runs.map((run) => run.pid)).size).toBeGreaterThanOrEqual(2);
      expect(new Set(runs.map((run) => run.n)).size).toBe(1000);
      const [members_] = (await dataSource.query(
        `SELECT count(*)::int AS members, count(*) FILTER (WHERE final_state = 'completed')::int AS completed
         FROM job_batch_members WHERE batch_id = $1`,
        [batch.id],
      )) as { members: number; completed: number }[];
      expect(members_).toEqual({ members: 1000, completed: 997 });
      process.stdout.write(
        `batch of 1,000 on two processes: callback after ${tookMs} ms, ${crashes} crash(es), ` +
          `${runs.length} runs, ${ranTwice.size} jobs run more than once\n`,
      );
    }, 180_000);
  });
});
