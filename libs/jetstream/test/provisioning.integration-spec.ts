import { connect, nanos, type NatsConnection } from 'nats';
import { startNatsServer, type NatsServerHandle } from '@lib/testing';
import {
  consumerConfig,
  DefaultStreamSettings,
  ensureConsumer,
  ensureStreams,
  JetStreamPublisher,
} from '@lib/jetstream';
import { TestkitContracts } from './fixtures/testkit-contracts';

describe('stream and consumer provisioning', () => {
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

  it('creates EVENTS, JOBS and DLQ as DESIGN §4 says, and is idempotent', async () => {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    await Promise.all([ensureStreams(jsm, DefaultStreamSettings), ensureStreams(jsm, DefaultStreamSettings)]);
    const events = (await jsm.streams.info('EVENTS')).config;
    const jobs = (await jsm.streams.info('JOBS')).config;
    const dlq = (await jsm.streams.info('DLQ')).config;
    expect(events).toMatchObject({
      subjects: ['events.>'],
      retention: 'limits',
      storage: 'file',
      max_age: nanos(7 * 86_400_000),
    });
    expect(events.duplicate_window).toBeGreaterThanOrEqual(nanos(120_000));
    expect(jobs).toMatchObject({
      subjects: ['jobs.>'],
      retention: 'workqueue',
      storage: 'file',
      discard: 'new',
    });
    expect(dlq).toMatchObject({ subjects: ['dlq.>'], retention: 'limits', max_age: nanos(180 * 86_400_000) });
  });

  it('brings a drifted stream setting back in line', async () => {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    const info = await jsm.streams.info('EVENTS');
    await jsm.streams.update('EVENTS', { ...info.config, max_age: nanos(3_600_000) });
    await ensureStreams(jsm, DefaultStreamSettings);
    expect((await jsm.streams.info('EVENTS')).config.max_age).toBe(nanos(7 * 86_400_000));
  });

  it('updates an existing durable when its contract changes, keeping its position and dropping an old backoff list', async () => {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    const contract = TestkitContracts['jobs.testkit.work'];
    const settings = { ackWaitMs: 10_000, defaultMaxAckPending: 1000 };
    const config = consumerConfig('positions', contract, settings);
    // As an earlier release created it: with a backoff list, which now stretches delayed naks.
    await ensureConsumer(jsm, 'JOBS', { ...config, backoff: [nanos(10_000), nanos(20_000)] });
    const publisher = new JetStreamPublisher(nc.jetstream(), TestkitContracts, 'urn:test');
    for (let id = 0; id < 3; id++) await publisher.publish('jobs.testkit.work', { id });
    const consumer = await nc.jetstream().consumers.get('JOBS', config.durable_name!);
    (await consumer.next())!.ack();
    await nc.flush();

    const changed = consumerConfig(
      'positions',
      { ...contract, options: { ...contract.options, maxAttempts: 7, concurrency: 5 } },
      settings,
    );
    await ensureConsumer(jsm, 'JOBS', changed);
    const info = await jsm.consumers.info('JOBS', config.durable_name!);
    expect(info.config).toMatchObject({ max_deliver: 7, max_ack_pending: 5 });
    expect(info.config.backoff ?? []).toEqual([]);
    expect(info.delivered.stream_seq).toBe(1);
    expect(info.num_pending).toBe(2);
  });
});
