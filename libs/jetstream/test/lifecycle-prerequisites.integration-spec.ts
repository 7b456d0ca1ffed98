import { durableName, JobCancellation, PrerequisitesHeader } from '@lib/jetstream';
import { sleep, waitFor } from '@lib/testing';
import { DelayedJobs, Outbox } from '@lib/db';
import { LifecycleContracts, LifecycleHarness } from './fixtures/lifecycle-harness';

describe('job prerequisites', () => {
  const harness = new LifecycleHarness();

  beforeAll(() => harness.start({ unknownGraceMs: 2_000 }), 60_000);
  afterAll(() => harness.stop());

  const waitingRows = async () =>
    (await harness.dataSource.query(`SELECT count(*)::int AS n FROM job_prerequisite_waits`)) as {
      n: number;
    }[];

  it('holds a job until every prerequisite completed, without spending an attempt or an ack slot', async () => {
    const first = await harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'pre-1', sleepMs: 2500 });
    const second = await harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'pre-2', sleepMs: 3500 });
    const dependant = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'dependant' },
      { prerequisites: [first.id, second.id] },
    );
    // Held: parked in the outbox, acked, so the consumer holds nothing for it.
    await waitFor(
      async () => {
        const rows = (await harness.dataSource.query(
          `SELECT count(*)::int AS n FROM outbox_messages WHERE headers->>'ce-id' = $1`,
          [dependant.id],
        )) as { n: number }[];
        return rows[0].n === 1;
      },
      { description: 'the dependant parked in the outbox' },
    );
    const durable = durableName('lifecyclekit', 'jobs.lifecyclekit.work');
    const jsm = await harness.nc.jetstreamManager();
    // Only the two prerequisites, running (the dependant's ack leaves without waiting for the server).
    await waitFor(async () => (await jsm.consumers.info('JOBS', durable)).num_ack_pending <= 2, {
      timeoutMs: 1_500, // before the first prerequisite ends
      description: 'only the prerequisites pending acks',
    });
    expect(harness.runsOf('dependant')).toHaveLength(0);

    const done = await harness.settled(dependant.id, 'completed');
    const [pre1] = harness.runsOf('pre-1');
    const [pre2] = harness.runsOf('pre-2');
    const [run] = harness.runsOf('dependant');
    expect(harness.runsOf('dependant')).toHaveLength(1);
    expect(run.attempt).toBe(1);
    expect(done.attempt).toBe(1);
    expect(run.startedAt).toBeGreaterThanOrEqual(Math.max(pre1.finishedAt!, pre2.finishedAt!));
    // Woken by the last completion (status flush, trigger, relay), not by the 5 s backstop re-check.
    const lagMs = run.startedAt - pre2.finishedAt!;
    expect(lagMs).toBeLessThan(3_000);
    expect((await waitingRows())[0].n).toBe(0);
  }, 60_000);

  it('runs at once when the prerequisites completed already', async () => {
    const first = await harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'done-before' });
    await harness.settled(first.id, 'completed');
    const dependant = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'after-done' },
      { prerequisites: [first.id] },
    );
    await harness.settled(dependant.id, 'completed');
    expect(harness.runsOf('after-done')).toMatchObject([{ attempt: 1 }]);
  });

  it('fails the dependant, without running it, when a prerequisite dies or fails', async () => {
    const dead = await harness.publisher.publish('jobs.lifecyclekit.work', {
      tag: 'pre-dead',
      outcome: 'dead',
    });
    const failed = await harness.publisher.publish('jobs.lifecyclekit.work', {
      tag: 'pre-failed',
      outcome: 'failed',
      sleepMs: 500,
    });
    const onDead = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'on-dead' },
      { prerequisites: [dead.id] },
    );
    const onFailed = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'on-failed' },
      { prerequisites: [failed.id] },
    );
    await harness.settled(dead.id, 'dead');
    expect(await harness.settled(onDead.id, 'failed')).toMatchObject({
      lastError: `prerequisite ${dead.id} dead`,
    });
    expect(await harness.settled(onFailed.id, 'failed')).toMatchObject({
      lastError: `prerequisite ${failed.id} failed`,
    });
    expect(harness.runsOf('on-dead')).toHaveLength(0);
    expect(harness.runsOf('on-failed')).toHaveLength(0);
  }, 30_000);

  it('waits for a delayed prerequisite, and fails when it is cancelled', async () => {
    const delayedJobs = new DelayedJobs(harness.dataSource, new Outbox(LifecycleContracts, 'urn:test'));
    const delayed = await delayedJobs.enqueue(
      'jobs.lifecyclekit.work',
      { tag: 'delayed' },
      { delayMs: 3600_000 },
    );
    const dependant = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'on-delayed' },
      { prerequisites: [delayed.id] },
    );
    // Past the 2 s grace for unknown ids: a delayed job in the outbox is known.
    await waitFor(async () => (await waitingRows())[0].n === 1, { description: 'the job held' });
    await sleep(2_500);
    expect(await harness.statuses.status(dependant.id)).toMatchObject({ state: 'enqueued' });
    const cancellation = new JobCancellation(harness.dataSource, harness.nc.jetstream());
    expect(await cancellation.cancel(delayed.id)).toMatchObject({ outcome: 'cancelled' });
    expect(await harness.settled(dependant.id, 'failed', 3_000)).toMatchObject({
      lastError: `prerequisite ${delayed.id} cancelled`,
    });
    expect(harness.runsOf('on-delayed')).toHaveLength(0);
  }, 30_000);

  it('fails a job waiting for an id nobody knows once the grace period is over', async () => {
    const started = Date.now();
    const { id } = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'on-unknown' },
      { prerequisites: ['no-such-job'] },
    );
    const status = await harness.settled(id, 'failed');
    expect(status.lastError).toMatch(/^prerequisite no-such-job unknown: no status after 2 s of waiting/);
    expect(status.lastError).toContain('trackStatus: false');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(harness.runsOf('on-unknown')).toHaveLength(0);
  }, 30_000);

  it('refuses prerequisites on a subject that does not track its status, and bad ids', async () => {
    await expect(
      harness.publisher.publish('jobs.lifecyclekit.untracked', { tag: 'x' }, { prerequisites: ['a'] }),
    ).rejects.toThrow('jobs.lifecyclekit.untracked has trackStatus: false');
    await expect(
      harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'x' }, { prerequisites: ['a,b'] }),
    ).rejects.toThrow('Invalid prerequisite job id "a,b"');
  });

  it('cancels a held job: its outbox row goes, it never runs', async () => {
    const slow = await harness.publisher.publish('jobs.lifecyclekit.work', { tag: 'slow', sleepMs: 2000 });
    const held = await harness.publisher.publish(
      'jobs.lifecyclekit.work',
      { tag: 'held-then-cancelled' },
      { prerequisites: [slow.id] },
    );
    await waitFor(async () => (await waitingRows())[0].n === 1, { description: 'the job held' });
    const cancellation = new JobCancellation(harness.dataSource, harness.nc.jetstream());
    expect(await cancellation.cancel(held.id)).toMatchObject({ outcome: 'cancelled' });
    await harness.settled(slow.id, 'completed');
    await sleep(1000);
    expect(harness.runsOf('held-then-cancelled')).toHaveLength(0);
    expect(await harness.statuses.status(held.id)).toMatchObject({ state: 'cancelled' });
    expect((await waitingRows())[0].n).toBe(0);
  }, 30_000);

  it('carries the prerequisites as a header', async () => {
    const stored = await harness.publisher.publish(
      'jobs.lifecyclekit-later.work',
      { tag: 'header' },
      { prerequisites: ['a', 'b', 'a'] },
    );
    const jsm = await harness.nc.jetstreamManager();
    const message = await jsm.streams.getMessage('JOBS', { seq: stored.seq });
    expect(message.header.get(PrerequisitesHeader)).toBe('a,b');
  });
});
