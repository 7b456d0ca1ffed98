import { connect, type NatsConnection } from 'nats';
import {
  createMigratedTestDatabase,
  sleep,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { JetStreamPublisher } from '@lib/jetstream';
import { TestkitContracts } from '../../libs/jetstream/test/fixtures/testkit-contracts';
import { spawnWorker, type WorkerProcess } from '../../libs/jetstream/test/fixtures/spawn-worker';

interface Report {
  id: number;
  pid: number;
  attempt?: number;
}

describe('worker processes that die or are stopped', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let client: NatsConnection;
  let publisher: JetStreamPublisher<typeof TestkitContracts>;
  const workers: WorkerProcess[] = [];
  const started: Report[] = [];
  const done: (Report & { at: number })[] = [];
  const ready: number[] = [];

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    client = await connect({ servers: nats.url });
    publisher = new JetStreamPublisher(client.jetstream(), TestkitContracts, 'urn:test');
    client.subscribe('testkit.done', {
      callback: (_, m) => done.push({ ...m.json<Report>(), at: Date.now() }),
    });
    client.subscribe('testkit.started', { callback: (_, m) => started.push(m.json<Report>()) });
    client.subscribe('testkit.ready', { callback: (_, m) => ready.push(m.json<{ pid: number }>().pid) });
  });

  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    started.length = 0;
    done.length = 0;
  });

  afterAll(async () => {
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  async function startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = spawnWorker(nats.url, database.url, env);
    workers.push(worker);
    await waitFor(() => ready.includes(worker.child.pid!), {
      timeoutMs: 30_000,
      description: `worker ${worker.child.pid} ready: ${worker.output()}`,
    });
    return worker;
  }

  async function publishJobs(ids: number[], sleepMs: number): Promise<void> {
    await client.flush();
    for (const id of ids) await publisher.publish('jobs.testkit.work', { id, sleepMs });
  }

  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  const doneIds = () => new Set(done.map((d) => d.id));

  it('redelivers the jobs of a worker killed with SIGKILL within 15 s, losing none', async () => {
    const ids = range(1, 300);
    const victim = await startWorker({ WORKER_SLOTS: '10' }); // default ack wait: 10 s
    await publishJobs(ids, 40);
    await waitFor(() => done.length >= 50);
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    // Reports the victim sent just before dying may still be on their way to us.
    await client.flush();
    await sleep(300);
    const victimPid = victim.child.pid;
    const doneByVictim = new Set(done.filter((d) => d.pid === victimPid).map((d) => d.id));
    const inFlightAtKill = new Set(
      started.filter((s) => s.pid === victimPid && !doneByVictim.has(s.id)).map((s) => s.id),
    );
    await startWorker({ WORKER_SLOTS: '10' });
    await waitFor(() => ids.every((id) => doneIds().has(id)), {
      timeoutMs: 45_000,
      description: 'all jobs done',
    });
    expect(inFlightAtKill.size).toBeGreaterThan(0);
    const redone = done.filter((d) => inFlightAtKill.has(d.id) && d.pid !== victim.child.pid);
    expect(new Set(redone.map((d) => d.id))).toEqual(inFlightAtKill);
    const latestRedelivery = Math.max(...redone.map((d) => d.at)) - killedAt;
    expect(latestRedelivery).toBeLessThan(15_000);
    expect(redone.every((d) => (d.attempt ?? 0) >= 2)).toBe(true);
  }, 90_000);

  it('finishes in-flight jobs on SIGTERM and hands the waiting ones back, losing none', async () => {
    const ids = range(1000, 40);
    const stopping = await startWorker({ WORKER_SLOTS: '4', SHUTDOWN_GRACE_MS: '10000' });
    await publishJobs(ids, 700);
    await waitFor(() => started.filter((s) => s.pid === stopping.child.pid).length >= 4);
    const runningAtTerm = started.filter((s) => s.pid === stopping.child.pid).map((s) => s.id);
    stopping.child.kill('SIGTERM');
    expect(await stopping.exited).toBe(0);
    // every job that had started in the stopped worker finished there
    for (const id of runningAtTerm)
      expect(done.some((d) => d.id === id && d.pid === stopping.child.pid)).toBe(true);
    await startWorker({ WORKER_SLOTS: '20' });
    await waitFor(() => ids.every((id) => doneIds().has(id)), {
      timeoutMs: 30_000,
      description: 'all jobs done',
    });
    const runs = done.filter((d) => ids.includes(d.id));
    // each job ran once: the waiting ones were handed back (second delivery), none waited out an ack timeout
    expect(runs).toHaveLength(ids.length);
    for (const run of runs) expect(run.attempt).toBe(runningAtTerm.includes(run.id) ? 1 : 2);
  }, 90_000);
});
