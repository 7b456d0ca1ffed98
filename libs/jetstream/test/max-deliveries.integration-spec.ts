import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { DeadLetterHeaders, type Contract } from '@lib/contracts';
import { startNatsServer, waitFor, type NatsServerHandle } from '@lib/testing';
import {
  consumerConfig,
  DeadLetters,
  MaxDeliveriesWatcher,
  DefaultStreamSettings,
  ensureConsumer,
  ensureStreams,
  JetStreamPublisher,
} from '@lib/jetstream';

import { TestkitContracts } from './fixtures/testkit-contracts';

describe('a message that exhausts its deliveries without any verdict (crash loop)', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc.close();
    await nats.cleanup();
  });

  it('is moved to the DLQ by the advisory watcher and removed from the work queue', async () => {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    const work = TestkitContracts['jobs.testkit.work'] as Contract;
    const contract: Contract = { ...work, options: { ...work.options, maxAttempts: 2 } };
    const config = consumerConfig('crashy', contract, { ackWaitMs: 1000, defaultMaxAckPending: 1000 });
    await ensureConsumer(jsm, 'JOBS', config);
    const watcher = new MaxDeliveriesWatcher(
      nc,
      jsm,
      new DeadLetters(nc.jetstream(), 'crashy'),
      pino({ level: 'silent' }),
    );
    watcher.watch('JOBS', config.durable_name!);
    await nc.flush();
    const publisher = new JetStreamPublisher(nc.jetstream(), TestkitContracts, 'urn:test');
    const published = await publisher.publish('jobs.testkit.work', { id: 7 });

    // A worker that takes the message and dies, twice (the consumer's max_deliver).
    const consumer = await nc.jetstream().consumers.get('JOBS', config.durable_name!);
    for (let delivery = 1; delivery <= 2; delivery++) {
      // Each pull outlives the ack wait (1 s): nats-server 2.9 loses a redelivery that meets an expiring pull
      // and sends it again as a first delivery.
      const msg = await waitFor(() => consumer.next({ expires: 3000 }), { timeoutMs: 10_000 });
      expect(msg.info.deliveryCount).toBe(delivery);
    }

    // The server notices the exhaustion when it next tries to deliver: a worker keeps asking, and gets nothing.
    let asking = true;
    const delivered: unknown[] = [];
    const afterLast = (async () => {
      while (asking) {
        const msg = await consumer.next({ expires: 1000 });
        if (msg) delivered.push(msg);
      }
    })();
    const letter = await waitFor(
      async () => {
        const info = await jsm.streams.info('DLQ');
        return info.state.messages > 0 ? jsm.streams.getMessage('DLQ', { seq: info.state.last_seq }) : null;
      },
      { timeoutMs: 15_000, description: 'the dead letter' },
    );
    expect(letter.subject).toBe('dlq.jobs.testkit.work');
    expect(letter.header.get(DeadLetterHeaders.reason)).toBe('max-deliveries');
    expect(letter.header.get(DeadLetterHeaders.streamSeq)).toBe(String(published.seq));
    expect(letter.header.get('ce-id')).toBe(published.id);
    await waitFor(async () => (await jsm.streams.info('JOBS')).state.messages === 0, {
      description: 'the exhausted message deleted from JOBS',
    });
    asking = false;
    await afterLast;
    expect(delivered).toEqual([]);
    watcher.stop();
  }, 30_000);
});
