import { connect, type NatsConnection } from 'nats';
import { DelayedJobs, Outbox } from '@lib/db';
import {
  cancellationKey,
  JobBatches,
  JobCancellation,
  JobCancelledError,
  KvBuckets,
  type WorkerRuntime,
} from '@lib/jetstream';
import { runCli, sleep, waitFor } from '@lib/testing';
import { LifecycleContracts, LifecycleHarness } from './fixtures/lifecycle-harness';

describe('cancelling jobs', () => {
  const harness = new LifecycleHarness();
  let delayedJobs: DelayedJobs;
  let batches: JobBatches;
  /** The canceller's own connection, as application code or the dashboard would have it. */
  let client: NatsConnection;
  let cancellation: JobCancellation;

  beforeAll(async () => {
    await harness.start();
    delayedJobs = new DelayedJobs(harness.dataSource, new Outbox(LifecycleContracts, 'urn:test'));
    batches = new JobBatches(harness.dataSource, LifecycleContracts, 'urn:test');
    client = await connect({ servers: harness.nats.url });
    cancellation = new JobCancellation(harness.dataSource, client.jetstream(), batches);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await harness.stop();
  });

  const outboxRows = async (jobId: string) =>
    (
      (await harness.dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_messages WHERE headers->>'ce-id' = $1`,
        [jobId],
      )) as { n: number }[]
    )[0].n;

  const runCliHere = (args: string[]) =>
    runCli(args, { DATABASE_URL: harness.database.url, NATS_URL: harness.nats.url });

  it('removes a scheduled job from the outbox and records it cancelled', async () => {
    const { id } = await delayedJobs.enqueue(
      'jobs.lifecyclekit.work',
      { tag: 'scheduled' },
      { delayMs: 3600_000 },
    );
    expect(await outboxRows(id)).toBe(1);
    expect(await cancellation.cancel(id)).toEqual({ id, outcome: 'cancelled', was: 'scheduled' });
    expect(await outboxRows(id)).toBe(0);
    expect(await harness.statuses.status(id)).toMatchObject({
      state: 'cancelled',
      lastError: 'cancelled before it was queued',
    });
    expect(await cancellation.cancel(id)).toEqual({ id, outcome: 'already-final', state: 'cancelled' });
  });

  it('drops a queued job when it is delivered, on a runtime started after the cancel', async () => {
    // A first start creates the durable; while it is stopped, the job waits in the stream.
    await harness.stopRuntime(await harness.startRuntime('lifecyclekit-later'));
    const { id } = await harness.publisher.publish('jobs.lifecyclekit-later.work', { tag: 'queued' });
    await harness.recorder.flush();
    expect(await cancellation.cancel(id)).toEqual({ id, outcome: 'cancelling', was: 'enqueued' });
    const runtime = await harness.startRuntime('lifecyclekit-later');
    try {
      expect(await harness.settled(id, 'cancelled')).toMatchObject({
        lastError: 'cancelled before it started',
      });
      expect(harness.runsOf('queued')).toHaveLength(0);
      // The mark is gone once honoured, so deliveries stop looking themselves up.
      const kv = await client.jetstream().views.kv(KvBuckets.jobCancellations, { bindOnly: true });
      await waitFor(async () => (await kv.get(cancellationKey(id)))?.operation !== 'PUT', {
        description: 'the cancellation mark removed',
      });
      // Jobs published after the cancel run as usual.
      const next = await harness.publisher.publish('jobs.lifecyclekit-later.work', { tag: 'after-cancel' });
      await harness.settled(next.id, 'completed');
    } finally {
      await harness.stopRuntime(runtime);
    }
  }, 60_000);

  it('deletes a queued job from the stream at once when its sequence is known', async () => {
    const { id, seq } = await harness.publisher.publish('jobs.lifecyclekit-later.work', {
      tag: 'queued-seq',
    });
    await harness.recorder.flush();
    expect(await cancellation.cancel(id, { streamSequence: seq })).toEqual({
      id,
      outcome: 'cancelled',
      was: 'enqueued',
    });
    expect(await harness.statuses.status(id)).toMatchObject({ state: 'cancelled' });
    const jsm = await client.jetstreamManager();
    await expect(jsm.streams.getMessage('JOBS', { seq })).rejects.toThrow(/no message found/);
    const kv = await client.jetstream().views.kv(KvBuckets.jobCancellations, { bindOnly: true });
    expect((await kv.get(cancellationKey(id)))?.operation).not.toBe('PUT');
    const runtime = await harness.startRuntime('lifecyclekit-later');
    await sleep(500);
    await harness.stopRuntime(runtime);
    expect(harness.runsOf('queued-seq')).toHaveLength(0);
  }, 30_000);

  it("aborts a running job's signal on whichever replica runs it; the job ends cancelled, not retried", async () => {
    const replica: WorkerRuntime = await harness.startRuntime('lifecyclekit');
    try {
      const tags = ['running-1', 'running-2', 'running-3'];
      const jobs = await Promise.all(
        tags.map((tag) => harness.publisher.publish('jobs.lifecyclekit.work', { tag, outcome: 'abortable' })),
      );
      await waitFor(() => tags.every((tag) => harness.runsOf(tag).length === 1), {
        description: 'the jobs running',
      });
      await harness.recorder.flush();
      for (const job of jobs) {
        expect(await cancellation.cancel(job.id)).toEqual({
          id: job.id,
          outcome: 'cancelling',
          was: 'processing',
        });
      }
      for (const job of jobs) {
        expect(await harness.settled(job.id, 'cancelled')).toMatchObject({
          attempt: 1,
          lastError: 'cancelled while running',
        });
      }
      await sleep(1000); // longer than the retry backoff (300 ms): no second attempt follows
      for (const tag of tags) {
        const runs = harness.runsOf(tag);
        expect(runs).toHaveLength(1);
        expect(runs[0].abortedWith).toBeInstanceOf(JobCancelledError);
      }
      // Two replicas of one app: the cancels reached both.
      expect(replica.inFlight).toBe(0);
    } finally {
      await harness.stopRuntime(replica);
    }
  }, 60_000);

  it('drops a job waiting for its rate limit when it comes back for its turn; it never runs', async () => {
    const first = await harness.publisher.publish('jobs.lifecyclekit.limited', { tag: 'limited-first' });
    await harness.settled(first.id, 'completed');
    // The key's one start of these 3 s is spent: this one is sent back to wait for the next.
    const waiting = await harness.publisher.publish('jobs.lifecyclekit.limited', { tag: 'limited-waiting' });
    await sleep(500);
    await harness.recorder.flush();
    expect(harness.runsOf('limited-waiting')).toHaveLength(0);
    expect(await cancellation.cancel(waiting.id)).toEqual({
      id: waiting.id,
      outcome: 'cancelling',
      was: 'enqueued',
    });
    expect(await harness.settled(waiting.id, 'cancelled', 10_000)).toMatchObject({
      lastError: 'cancelled before it started',
    });
    // Its turn came and went unused by it: the next job of the key takes the start.
    const next = await harness.publisher.publish('jobs.lifecyclekit.limited', { tag: 'limited-next' });
    await harness.settled(next.id, 'completed', 10_000);
    expect(harness.runsOf('limited-waiting')).toHaveLength(0);
  }, 30_000);

  it('leaves a finished job alone and says so; an unknown id is unknown', async () => {
    const { id } = await harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'finished' });
    const before = await harness.settled(id, 'completed');
    expect(await cancellation.cancel(id)).toEqual({ id, outcome: 'already-final', state: 'completed' });
    expect(await harness.statuses.status(id)).toEqual(before);
    expect(await cancellation.cancel('no-such-job')).toEqual({ id: 'no-such-job', outcome: 'unknown' });
  });

  it('cancels the members of a batch that have not finished, and the batch then finishes', async () => {
    const inAnHour = new Date(Date.now() + 3600_000);
    const batch = await batches.create(
      'cancel-me',
      [
        { subject: 'jobs.lifecyclekit.work', payload: { tag: 'member-done' } },
        { subject: 'jobs.lifecyclekit.work', payload: { tag: 'member-running', outcome: 'abortable' } },
        { subject: 'jobs.lifecyclekit.work', payload: { tag: 'member-later' }, deliverAt: inAnHour },
        { subject: 'jobs.lifecyclekit.work', payload: { tag: 'member-later' }, deliverAt: inAnHour },
      ],
      {},
    );
    const [done, running] = batch.jobIds;
    await harness.settled(done, 'completed');
    await waitFor(() => harness.runsOf('member-running').length === 1, { description: 'a member running' });
    expect(await cancellation.cancelBatch(batch.id)).toEqual({
      batchId: batch.id,
      removed: 2,
      marked: true,
      finished: false,
    });
    await harness.settled(running, 'cancelled');
    const outcome = await waitFor(
      async () => {
        const current = await batches.outcome(batch.id);
        return current?.finishedAt ? current : null;
      },
      { description: 'the batch finished' },
    );
    expect(outcome).toMatchObject({ total: 4, succeeded: 1, failed: 3 });
    expect(outcome.failures.map((failure) => failure.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(harness.runsOf('member-later')).toHaveLength(0);
    expect(await cancellation.cancelBatch(batch.id)).toMatchObject({ finished: true, removed: 0 });
    expect(await cancellation.cancelBatch('00000000-0000-0000-0000-000000000000')).toBeNull();
  }, 60_000);

  it('is `npm run cli -- jobs cancel <id>`, for people and as JSON', async () => {
    const scheduled = await delayedJobs.enqueue(
      'jobs.lifecyclekit.work',
      { tag: 'cli' },
      { delayMs: 3600_000 },
    );
    const finished = await harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'cli-finished' });
    await harness.settled(finished.id, 'completed');
    const [text, json, unknown] = await Promise.all([
      runCliHere(['jobs', 'cancel', scheduled.id]),
      runCliHere(['--json', 'jobs', 'cancel', finished.id]),
      runCliHere(['jobs', 'cancel', 'no-such-job']),
    ]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain(
      `cancelled job ${scheduled.id} (was scheduled): removed before it was queued`,
    );
    expect(await harness.statuses.status(scheduled.id)).toMatchObject({ state: 'cancelled' });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      id: finished.id,
      outcome: 'already-final',
      state: 'completed',
    });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('no job no-such-job');
  }, 90_000);
});
