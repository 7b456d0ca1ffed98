import {
  createMigratedTestDatabase,
  sleep,
  startNatsCluster,
  waitFor,
  type NatsClusterHandle,
  type TestDatabase,
} from '@lib/testing';
import { startTestkit, type Testkit } from '../../libs/jetstream/test/fixtures/start-testkit';

describe('one node of a 3-node NATS cluster killed under load (R3 streams)', () => {
  let cluster: NatsClusterHandle;
  let database: TestDatabase;
  let kit: Testkit;

  beforeAll(async () => {
    [cluster, database] = await Promise.all([startNatsCluster(3), createMigratedTestDatabase()]);
    kit = await startTestkit({
      natsUrl: cluster.urls.join(','),
      databaseUrl: database.url,
      env: { NATS_STREAM_REPLICAS: '3', WORKER_SLOTS: '20' },
    });
  }, 90_000);

  afterAll(async () => {
    await kit?.service.stop();
    await cluster?.cleanup();
    await database?.drop();
  });

  it('keeps working, loses no job, and takes the node back', async () => {
    const jsm = await kit.service.nc.jetstreamManager();
    expect((await jsm.streams.info('JOBS')).config.num_replicas).toBe(3);
    const done = new Set<number>();
    kit.probe.on('jobs.testkit.work', async (payload) => {
      await sleep(2);
      done.add(payload.id);
    });
    const total = 2000;
    const publishing = (async () => {
      for (let id = 0; id < total; id++) {
        // A publish during the leader election may fail; the producer keeps the job and tries again.
        for (;;) {
          try {
            await kit.service.publisher.publish('jobs.testkit.work', { id }, { id: `node-loss-${id}` });
            break;
          } catch {
            await sleep(100);
          }
        }
      }
    })();
    await waitFor(() => done.size >= 300, { timeoutMs: 30_000 });
    const victim = cluster.servers[0];
    await victim.kill();
    await waitFor(() => done.size >= 1000, {
      timeoutMs: 60_000,
      description: 'work goes on without the node',
    });
    await victim.restart();
    await publishing;
    await waitFor(() => done.size === total, { timeoutMs: 90_000, description: `all ${total} jobs done` });
    await cluster.waitForJetStream();
    const info = await jsm.streams.info('JOBS');
    await waitFor(
      async () => ((await jsm.streams.info('JOBS')).cluster?.replicas ?? []).every((r) => r.current),
      {
        timeoutMs: 30_000,
        description: 'the returning node catches up',
      },
    );
    expect(info.config.num_replicas).toBe(3);
  }, 240_000);
});
