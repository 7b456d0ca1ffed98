import { connect, headers, type NatsConnection } from 'nats';
import { StreamAcks } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { startTestkit, type Testkit } from '../../libs/jetstream/test/fixtures/start-testkit';

describe('nats-server restarted under load (same store)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let kit: Testkit;
  let producer: NatsConnection;

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    kit = await startTestkit({ natsUrl: nats.url, databaseUrl: database.url, env: { WORKER_SLOTS: '20' } });
    producer = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  });

  afterAll(async () => {
    await kit?.service.stop();
    await producer?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  it('reconnects the workers and loses no job', async () => {
    const done = new Set<number>();
    kit.probe.on('jobs.testkit.work', async (payload) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      done.add(payload.id);
    });
    // Through the ack routing the publisher and the outbox relay use: across the restart, every publish ends
    // (stored, or failed and retried), and none is left waiting for an ack.
    const acks = StreamAcks.of(producer.jetstream())!;
    const total = 3000;
    const publishing = (async () => {
      for (let id = 0; id < total; id++) {
        const msgId = headers();
        msgId.set('Nats-Msg-Id', `restart-${id}`);
        // Retried until stored: a publisher that cannot reach the server keeps the job, as the outbox does.
        for (;;) {
          try {
            await acks.publish('jobs.testkit.work', JSON.stringify({ id }), msgId, 2000);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
    })();
    await waitFor(() => done.size >= 500, { timeoutMs: 20_000 });
    await nats.restart();
    await publishing;
    await waitFor(() => done.size === total, { timeoutMs: 60_000, description: `all ${total} jobs done` });
    expect(kit.service.runtime.ready).toBe(true);
    expect(acks.inFlight).toBe(0);
  }, 120_000);
});
