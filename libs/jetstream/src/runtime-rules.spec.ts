import { z } from 'zod';
import { contractMap, defineEvent, defineJob } from '@lib/contracts';
import { retryDelayMs } from './backoff';
import { headerSafe } from './dead-letters';
import { Fifo } from './fifo';
import { durableName } from './names';
import { consumerConfig } from './provisioning';
import { ConfigError, loadServiceConfig, ServiceConfigSchema } from './service-config';
import { assertHandlersMatchContracts } from './worker-runtime';

const schema = z.object({ id: z.number() });
const handler = (location: string) => ({ location, invoke: () => undefined });

describe('retry delays', () => {
  it('follow Sidekiq: count^4 + 15 + rand(10) * (count + 1) seconds', () => {
    const noJitter = () => 0;
    expect(retryDelayMs({ type: 'sidekiq' }, 1, noJitter)).toBe(15_000);
    expect(retryDelayMs({ type: 'sidekiq' }, 2, noJitter)).toBe(16_000);
    expect(retryDelayMs({ type: 'sidekiq' }, 5, noJitter)).toBe((256 + 15) * 1000);
    expect(retryDelayMs({ type: 'sidekiq' }, 2, () => 0.99)).toBe((1 + 15 + 9 * 2) * 1000);
  });

  it('are capped per job and support fixed and exponential policies', () => {
    expect(retryDelayMs({ type: 'sidekiq', maxDelayMs: 60_000 }, 20)).toBe(60_000);
    expect(retryDelayMs({ type: 'fixed', delayMs: 250 }, 7)).toBe(250);
    expect(retryDelayMs({ type: 'exponential', initialDelayMs: 100 }, 4)).toBe(800);
    expect(retryDelayMs({ type: 'exponential', initialDelayMs: 100, maxDelayMs: 500 }, 4)).toBe(500);
  });
});

describe('consumer configuration', () => {
  const job = defineJob({
    subject: 'jobs.notifier.deliver-email',
    schema,
    description: 'x',
    options: { maxAttempts: 5, concurrency: 7 },
  });
  const event = defineEvent({
    subject: 'events.poll.closed',
    schema,
    description: 'x',
    consumers: ['notifier'],
  });

  it('derives the durable, attempts and concurrency limit from the contract, and sets no backoff list', () => {
    const config = consumerConfig('notifier', job, { ackWaitMs: 10_000, defaultMaxAckPending: 20_000 });
    expect(config).toMatchObject({
      durable_name: 'notifier__jobs_notifier_deliver-email',
      filter_subject: 'jobs.notifier.deliver-email',
      ack_policy: 'explicit',
      deliver_policy: 'all',
      max_deliver: 5,
      max_ack_pending: 7,
    });
    expect(config.backoff).toBeUndefined();
    expect(config.ack_wait).toBe(10_000 * 1_000_000);
  });

  it('starts a new event consumer at new events', () => {
    expect(
      consumerConfig('notifier', event, { ackWaitMs: 10_000, defaultMaxAckPending: 1 }).deliver_policy,
    ).toBe('new');
    expect(durableName('poller', 'events.stance.created')).toBe('poller__events_stance_created');
  });
});

describe('handlers against contracts', () => {
  const contracts = contractMap(
    defineJob({ subject: 'jobs.poller.close-expired-polls', schema, description: 'x' }),
    defineEvent({ subject: 'events.stance.created', schema, description: 'x', consumers: ['poller'] }),
    defineJob({ subject: 'jobs.janitor.destroy-group', schema, description: 'x' }),
  );

  it('accepts exactly one handler per subject of the service', () => {
    const handlers = new Map([
      ['jobs.poller.close-expired-polls', [handler('A.close')]],
      ['events.stance.created', [handler('A.count')]],
    ]);
    expect(assertHandlersMatchContracts('poller', contracts, handlers).map((c) => c.subject)).toEqual([
      'jobs.poller.close-expired-polls',
      'events.stance.created',
    ]);
  });

  it('names every missing, doubled, unknown and foreign handler', () => {
    const handlers = new Map([
      ['events.stance.created', [handler('A.count'), handler('B.count')]],
      ['jobs.poller.typo', [handler('A.typo')]],
      ['jobs.janitor.destroy-group', [handler('A.destroy')]],
    ]);
    expect(() => assertHandlersMatchContracts('poller', contracts, handlers)).toThrow(
      [
        'poller cannot start:',
        '  - jobs.poller.close-expired-polls has no handler in poller',
        '  - events.stance.created has 2 handlers: A.count, B.count',
        '  - A.typo handles jobs.poller.typo, which has no contract',
        '  - A.destroy handles jobs.janitor.destroy-group, but its contract names service janitor, not poller',
      ].join('\n'),
    );
  });
});

describe('service configuration', () => {
  it('reports every bad or missing setting by name, without echoing URLs', () => {
    let error: unknown;
    try {
      loadServiceConfig('notifier', ServiceConfigSchema, {
        NATS_URL: 'http://wrong',
        WORKER_SLOTS: 'many',
        HTTP_PORT: '3002',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^notifier: invalid configuration/);
    expect(message).toMatch(/DATABASE_URL: is required/);
    expect(message).toMatch(/NATS_URL: must be nats:\/\/host:port/);
    expect(message).toMatch(/WORKER_SLOTS: .*\(got "many"\)/);
    expect(message).not.toMatch(/http:\/\/wrong/);
  });

  it('applies defaults and coerces numbers', () => {
    const config = loadServiceConfig('poller', ServiceConfigSchema, {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      HTTP_PORT: '3003',
      NATS_URL: 'nats://a:4222,nats://b:4222',
    });
    expect(config).toMatchObject({
      HTTP_PORT: 3003,
      WORKER_SLOTS: 50,
      ACK_WAIT_MS: 10_000,
      NATS_STREAM_REPLICAS: 1,
    });
  });
});

describe('small parts', () => {
  it('Fifo keeps order across compaction', () => {
    const queue = new Fifo<number>();
    for (let i = 0; i < 5000; i++) queue.push(i);
    for (let i = 0; i < 3000; i++) expect(queue.shift()).toBe(i);
    queue.push(5000);
    expect(queue.length).toBe(2001);
    expect([...queue][0]).toBe(3000);
    expect(queue.drain()).toHaveLength(2001);
    expect(queue.shift()).toBeUndefined();
  });

  it('keeps header values on one line and bounded', () => {
    expect(headerSafe('Error: x\n    at y\r\n    at z')).toBe('Error: x\\n    at y\\n    at z');
    expect(headerSafe('a'.repeat(10_000)).length).toBeLessThanOrEqual(4097);
  });
});
