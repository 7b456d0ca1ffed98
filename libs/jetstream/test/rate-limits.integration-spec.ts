import { connect, type NatsConnection } from 'nats';
import {
  createMigratedTestDatabase,
  sleep,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { JetStreamPublisher, RateLimitAdmin } from '@lib/jetstream';
import {
  RatekitContracts,
  RatekitSubjects,
  spawnRatekitWorker,
  type RatekitJob,
  type RatekitProcess,
  type RatekitReport,
} from './fixtures/ratekit';

type Subject = keyof typeof RatekitContracts & string;

/** The most starts found in any window of `windowMs` (each window opening at a start). */
function busiestWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j] < sorted[i] - windowMs + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** The most jobs running at once, from their start and finish reports. */
function mostRunningAtOnce(started: RatekitReport[], finished: RatekitReport[]): number {
  const events = [
    ...started.map((r) => ({ at: r.at, delta: 1 })),
    ...finished.map((r) => ({ at: r.at, delta: -1 })),
  ].sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const event of events) most = Math.max(most, (running += event.delta));
  return most;
}

describe('cluster-wide rate limits across two worker processes', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let client: NatsConnection;
  let publisher: JetStreamPublisher<typeof RatekitContracts>;
  const workers: RatekitProcess[] = [];
  const started: RatekitReport[] = [];
  const finished: RatekitReport[] = [];
  const ready: number[] = [];
  const workerEnv = { RATE_LIMIT_SLOT_LEASE_MS: '3000', ACK_WAIT_MS: '30000', WORKER_SLOTS: '20' };

  async function startWorker(): Promise<RatekitProcess> {
    const worker = spawnRatekitWorker(nats.url, database.url, workerEnv);
    workers.push(worker);
    await waitFor(() => ready.includes(worker.child.pid!), {
      timeoutMs: 120_000,
      description: `worker ${worker.child.pid} ready: ${worker.output()}`,
    });
    return worker;
  }

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    client = await connect({ servers: nats.url });
    publisher = new JetStreamPublisher(client.jetstream(), RatekitContracts, 'urn:test');
    const collect = (into: RatekitReport[]) => (_: unknown, m: { json<T>(): T }) =>
      into.push(m.json<RatekitReport>());
    client.subscribe(RatekitSubjects.started, { callback: collect(started) });
    client.subscribe(RatekitSubjects.finished, { callback: collect(finished) });
    client.subscribe(RatekitSubjects.ready, {
      callback: (_, m) => ready.push(m.json<{ pid: number }>().pid),
    });
    await client.flush();
    await Promise.all([startWorker(), startWorker()]);
  }, 240_000);

  afterAll(async () => {
    if (process.env.RATEKIT_DEBUG) for (const worker of workers) console.log(worker.output());
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  const of = (reports: RatekitReport[], subject: Subject, key: string) =>
    reports.filter((r) => r.subject === subject && r.key === key);

  async function publish(subject: Subject, jobs: RatekitJob[]): Promise<void> {
    await Promise.all(jobs.map((job) => publisher.publish(subject, job)));
  }

  it('never starts more than 5 jobs of a key in any second across both processes, at about that rate, without spending attempts', async () => {
    const jobs = Array.from({ length: 30 }, (_, i) => ({ id: i, key: 'a' }));
    await publish('jobs.ratekit.send', jobs);
    const publishedAt = Date.now();
    await sleep(300);
    // Another key is not held up by the backlog of the first.
    await publish(
      'jobs.ratekit.send',
      Array.from({ length: 5 }, (_, i) => ({ id: 100 + i, key: 'b' })),
    );
    const otherPublishedAt = Date.now();
    await waitFor(() => of(finished, 'jobs.ratekit.send', 'b').length === 5, {
      timeoutMs: 5_000,
      description: 'the 5 jobs of key b',
    });
    const otherDoneAfter =
      Math.max(...of(finished, 'jobs.ratekit.send', 'b').map((r) => r.at)) - otherPublishedAt;
    expect(otherDoneAfter).toBeLessThan(1_000);

    await waitFor(() => of(finished, 'jobs.ratekit.send', 'a').length === 30, {
      timeoutMs: 20_000,
      description: 'the 30 jobs of key a',
    });
    const runs = of(started, 'jobs.ratekit.send', 'a');
    expect(runs).toHaveLength(30);
    const timeline = runs
      .map((r) => `${r.at - publishedAt}@${r.pid}`)
      .sort((x, y) => parseInt(x) - parseInt(y));
    const elapsed = Math.max(...runs.map((r) => r.at)) - publishedAt;
    if (process.env.RATEKIT_DEBUG) console.log(`30 starts in ${elapsed} ms: ${timeline.join(' ')}`);
    expect({
      busiest: busiestWindow(
        runs.map((r) => r.at),
        1000,
      ),
      timeline,
    }).toEqual({
      busiest: 5,
      timeline,
    });
    // 5 start at once, the other 25 at 5 per second: about 5 s in all.
    expect(elapsed).toBeGreaterThan(4_000);
    expect(elapsed).toBeLessThan(7_500);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(2);
    expect(runs.every((r) => r.attempt === 1)).toBe(true);
  }, 40_000);

  it('runs at most 2 jobs of a key at once across both processes, while other keys run beside them', async () => {
    await publish('jobs.ratekit.pair', [
      ...Array.from({ length: 10 }, (_, i) => ({ id: i, key: 'x', sleepMs: 300 })),
      ...Array.from({ length: 4 }, (_, i) => ({ id: 50 + i, key: 'y', sleepMs: 300 })),
    ]);
    await waitFor(() => of(finished, 'jobs.ratekit.pair', 'x').length === 10, {
      timeoutMs: 20_000,
      description: 'the 10 jobs of key x',
    });
    const x = [of(started, 'jobs.ratekit.pair', 'x'), of(finished, 'jobs.ratekit.pair', 'x')] as const;
    expect(x[0]).toHaveLength(10);
    expect(mostRunningAtOnce(...x)).toBe(2);
    expect(new Set(x[0].map((r) => r.pid)).size).toBe(2);
    expect(x[0].every((r) => r.attempt === 1)).toBe(true);
    // Key y had its own two slots: its 4 jobs were done in about two rounds, not after key x's ten.
    const y = of(finished, 'jobs.ratekit.pair', 'y');
    expect(y).toHaveLength(4);
    expect(Math.max(...y.map((r) => r.at))).toBeLessThan(Math.max(...x[1].map((r) => r.at)));
  }, 30_000);

  it('pauses a key for every process when a handler asks, lists it, and resumes it after the pause', async () => {
    const admin = await RateLimitAdmin.open(client);
    await publish('jobs.ratekit.send', [{ id: 1, key: 'p', pauseMs: 2_000 }]);
    const paused = await waitFor(async () => (await admin.listPausedKeys()).find((k) => k.key === 'p'), {
      description: 'key p listed as paused',
    });
    expect(paused.subject).toBe('jobs.ratekit.send');
    expect(paused.consumer).toBe('ratekit__jobs_ratekit_send');
    expect(paused.reason).toBe('HTTP 429');
    const until = paused.until.getTime();
    expect(until - Date.now()).toBeGreaterThan(1_000);
    await publish('jobs.ratekit.send', [
      ...Array.from({ length: 4 }, (_, i) => ({ id: 2 + i, key: 'p' })),
      { id: 9, key: 'q' },
    ]);
    await waitFor(() => of(finished, 'jobs.ratekit.send', 'q').length === 1, {
      description: 'key q not paused',
    });
    expect(Date.now()).toBeLessThan(until);
    await waitFor(() => of(finished, 'jobs.ratekit.send', 'p').length === 5, {
      timeoutMs: 10_000,
      description: 'the 5 jobs of key p after the pause',
    });
    const runs = of(started, 'jobs.ratekit.send', 'p');
    // One start before the pause (the job that paused it), every other start after it ended.
    expect(runs.filter((r) => r.at < until)).toHaveLength(1);
    expect(runs).toHaveLength(6);
    // The job that hit "429" ran again as attempt 1: neither the pause nor the waiting spent an attempt.
    expect(runs.filter((r) => r.id === 1).map((r) => r.attempt)).toEqual([1, 1]);
    expect((await admin.listPausedKeys()).find((k) => k.key === 'p')).toBeUndefined();
  }, 30_000);

  it('counts only real failures as attempts for a throttled job', async () => {
    // Fill key c's second, so the failing job waits for the budget before and between its attempts.
    await publish(
      'jobs.ratekit.send',
      Array.from({ length: 5 }, (_, i) => ({ id: i, key: 'c' })),
    );
    await publish('jobs.ratekit.send', [{ id: 7, key: 'c', failAttempts: 1 }]);
    await waitFor(() => of(finished, 'jobs.ratekit.send', 'c').some((r) => r.id === 7), {
      description: 'the failing job of key c succeeded',
    });
    const attempts = of(started, 'jobs.ratekit.send', 'c')
      .filter((r) => r.id === 7)
      .map((r) => r.attempt);
    expect(attempts).toEqual([1, 2]);
  }, 20_000);

  it('frees the slot of a killed worker after its lease, before its job is redelivered', async () => {
    await publish('jobs.ratekit.solo', [{ id: 1, key: 'k', sleepMs: 60_000 }]);
    const holder = await waitFor(() => of(started, 'jobs.ratekit.solo', 'k')[0], {
      description: 'the long job',
    });
    await publish('jobs.ratekit.solo', [{ id: 2, key: 'k' }]);
    await sleep(1_500);
    expect(of(started, 'jobs.ratekit.solo', 'k').map((r) => r.id)).toEqual([1]);
    const victim = workers.find((w) => w.child.pid === holder.pid)!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const next = await waitFor(() => of(started, 'jobs.ratekit.solo', 'k').find((r) => r.id === 2), {
      timeoutMs: 20_000,
      description: 'the second job of key k after the lease',
    });
    // Lease 3 s (renewed every second) plus the waiting job's retry interval (up to 5 s by then); the killed
    // job's own redelivery only comes after the 30 s ack wait.
    expect(next.at - killedAt).toBeLessThan(12_000);
    expect(next.attempt).toBe(1);
  }, 40_000);
});
