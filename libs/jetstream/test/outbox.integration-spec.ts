import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { AttemptsSpentHeader, contractMap, defineJob } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, DelayedJobs, Inbox, Outbox } from '@lib/db';
import {
  createMigratedTestDatabase,
  sleep,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { DefaultStreamSettings, ensureStreams, OutboxRelay, RetryLaterError } from '@lib/jetstream';
import { TestkitContracts, TestkitJob } from './fixtures/testkit-contracts';
import { startTestkit } from './fixtures/start-testkit';

const contracts = contractMap(
  ...Object.values(TestkitContracts),
  defineJob({ subject: 'jobs.outboxed.note', schema: TestkitJob, description: 'a job nobody consumes here' }),
);
const silent = pino({ level: 'silent' });

describe('transactional outbox, relay, delayed jobs and inbox', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let dataSource: DataSource;
  let nc: NatsConnection;
  const outbox = new Outbox(contracts, 'urn:test');
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    dataSource = createDataSource({ url: database.url, entities: AllEntities, migrations: AllMigrations });
    await dataSource.initialize();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await nc.jetstreamManager(), DefaultStreamSettings);
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
    await dataSource.query('DELETE FROM outbox_messages');
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    await jsm.streams.purge('JOBS');
  });

  afterAll(async () => {
    await nc?.close();
    await dataSource?.destroy();
    await nats?.cleanup();
    await database?.drop();
  });

  function relay(): OutboxRelay {
    const created = new OutboxRelay(dataSource, nc.jetstream(), database.url, silent, {
      batchSize: 500,
      maxIdleMs: 5_000,
      retryDelayMs: 100,
    });
    relays.push(created);
    return created;
  }

  async function jobsInStream(): Promise<number> {
    return (await (await nc.jetstreamManager()).streams.info('JOBS')).state.messages;
  }

  it('publishes nothing from a rolled-back transaction', async () => {
    await relay().start();
    await expect(
      dataSource.transaction(async (manager) => {
        await outbox.publish(manager, 'jobs.outboxed.note', { id: 1 });
        throw new Error('the business change failed');
      }),
    ).rejects.toThrow('the business change failed');
    await sleep(500);
    expect(await jobsInStream()).toBe(0);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM outbox_messages')).toEqual([{ n: 0 }]);
  });

  it('refuses a payload that breaks the contract before storing it', async () => {
    await expect(outbox.publish(dataSource.manager, 'jobs.outboxed.note', { id: 'x' })).rejects.toThrow(
      /Invalid payload for jobs.outboxed.note/,
    );
  });

  it('publishes 10,000 committed rows exactly once with two relays racing', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => i);
    await dataSource.transaction(async (manager) => {
      for (const id of rows) await outbox.publish(manager, 'jobs.outboxed.note', { id });
    });
    const [first, second] = [relay(), relay()];
    await Promise.all([first.start(), second.start()]);
    await waitFor(async () => (await jobsInStream()) === rows.length, { timeoutMs: 60_000 });
    await sleep(300);
    expect(await jobsInStream()).toBe(rows.length);
    expect(first.published + second.published).toBe(rows.length);
    expect(first.published).toBeGreaterThan(0);
    expect(second.published).toBeGreaterThan(0);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM outbox_messages')).toEqual([{ n: 0 }]);
  }, 90_000);

  it('publishes an immediate row within milliseconds (NOTIFY) and a delayed one on time', async () => {
    await relay().start();
    const js = nc.jetstream();
    const arrivals = new Map<number, number>();
    const consumerName = 'outbox-timing';
    await (
      await nc.jetstreamManager()
    ).consumers.add('JOBS', {
      durable_name: consumerName,
      filter_subject: 'jobs.outboxed.note',
      ack_policy: 'explicit' as never,
    });
    const consumer = await js.consumers.get('JOBS', consumerName);
    const messages = await consumer.consume({
      callback: (m) => {
        arrivals.set(m.json<{ id: number }>().id, Date.now());
        m.ack();
      },
    });
    const immediateAt = Date.now();
    await outbox.publish(dataSource.manager, 'jobs.outboxed.note', { id: 1 });
    const delayedJobs = new DelayedJobs(dataSource, outbox);
    const dueAt = Date.now() + 2_000;
    await delayedJobs.enqueue('jobs.outboxed.note', { id: 2 }, { runAt: new Date(dueAt) });
    await waitFor(() => arrivals.has(1) && arrivals.has(2), { timeoutMs: 10_000 });
    expect(arrivals.get(1)! - immediateAt).toBeLessThan(250);
    expect(arrivals.get(2)! - dueAt).toBeGreaterThanOrEqual(-5);
    expect(arrivals.get(2)! - dueAt).toBeLessThan(250);
    await messages.close();
    await (await nc.jetstreamManager()).consumers.delete('JOBS', consumerName);
  });

  it('cancels a delayed job that has not been published yet', async () => {
    const delayedJobs = new DelayedJobs(dataSource, outbox);
    const job = await delayedJobs.enqueue('jobs.outboxed.note', { id: 3 }, { delayMs: 60_000 });
    expect((await delayedJobs.pending()).map((p) => p.id)).toContain(job.id);
    expect(await delayedJobs.cancel(job.id)).toBe(true);
    expect(await delayedJobs.cancel(job.id)).toBe(false);
  });

  it('loses nothing when a relay dies mid-batch: the next one re-publishes and the stream drops duplicates', async () => {
    await dataSource.transaction(async (manager) => {
      for (let id = 0; id < 200; id++) await outbox.publish(manager, 'jobs.outboxed.note', { id });
    });
    // A relay that claimed and published half a batch, then died before deleting its rows.
    const dying = relay();
    await expect(
      dataSource.transaction(async (manager) => {
        const claimed = (await manager.query(
          `SELECT id, subject, headers, payload FROM outbox_messages ORDER BY deliver_at, id LIMIT 100 FOR UPDATE SKIP LOCKED`,
        )) as { subject: string; headers: Record<string, string>; payload: unknown }[];
        const js = nc.jetstream();
        for (const row of claimed) {
          await js.publish(row.subject, JSON.stringify(row.payload), { msgID: row.headers['Nats-Msg-Id'] });
        }
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(await jobsInStream()).toBe(100);
    await dying.start();
    await waitFor(
      async () => (await dataSource.query('SELECT count(*)::int AS n FROM outbox_messages'))[0].n === 0,
    );
    expect(await jobsInStream()).toBe(200);
  });

  it('keeps rows while NATS cannot take them and publishes them once it can', async () => {
    await (await nc.jetstreamManager()).streams.delete('JOBS');
    await relay().start();
    await outbox.publish(dataSource.manager, 'jobs.outboxed.note', { id: 9 });
    await waitFor(
      async () => (await dataSource.query(`SELECT attempts FROM outbox_messages`))[0]?.attempts > 0,
    );
    const [row] = await dataSource.query(`SELECT last_error FROM outbox_messages`);
    expect(row.last_error).toBeTruthy();
    await ensureStreams(await nc.jetstreamManager(), DefaultStreamSettings);
    await waitFor(async () => (await jobsInStream()) === 1, { timeoutMs: 15_000 });
  });

  it('applies the effects of a message delivered 5 times exactly once', async () => {
    const inbox = new Inbox(dataSource);
    await dataSource.query('CREATE TABLE IF NOT EXISTS inbox_effects (n int)');
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        inbox.once('notifier__jobs_x', 'msg-1', (manager) =>
          manager.query('INSERT INTO inbox_effects VALUES (1)'),
        ),
      ),
    );
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM inbox_effects')).toEqual([{ n: 1 }]);
    await dataSource.query(`UPDATE processed_messages SET processed_at = now() - interval '8 days'`);
    expect(await inbox.prune(new Date(Date.now() - 7 * 24 * 3600_000))).toBe(1);
  });

  it('parks a long retry in the outbox with its spent attempts, and the relay brings it back', async () => {
    const kit = await startTestkit({ natsUrl: nats.url, databaseUrl: database.url });
    await relay().start();
    try {
      kit.probe.on('jobs.testkit.work', (payload, ctx) => {
        if (payload.id === 77 && ctx.attempt === 1) throw new RetryLaterError(6 * 60_000);
      });
      await kit.service.publisher.publish('jobs.testkit.work', { id: 77 });
      const [parked] = await waitFor(async () => {
        const rows = await dataSource.query(
          `SELECT id, headers FROM outbox_messages WHERE subject = 'jobs.testkit.work'`,
        );
        return rows.length > 0 ? rows : null;
      });
      // postponed, not failed: the attempt it used is given back
      expect(parked.headers[AttemptsSpentHeader]).toBe('0');
      expect(Date.parse(parked.headers['Job-First-Failure'])).toBeLessThanOrEqual(Date.now());
      await dataSource.query(`UPDATE outbox_messages SET deliver_at = now() WHERE id = $1`, [parked.id]);
      const second = await waitFor(
        () => kit.probe.callsOf('jobs.testkit.work').filter((c) => c.payload.id === 77)[1],
      );
      expect(second.attempt).toBe(1);
    } finally {
      await kit.service.stop();
    }
  }, 30_000);

  it('wakes the relay once per inserting statement, however many rows it holds, and once per re-timed row', async () => {
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (message) => notified.push(message.payload ?? ''));
    await listener.query('LISTEN outbox_messages');
    try {
      const earliest = new Date(Date.now() + 60_000);
      await dataSource.query(
        `INSERT INTO outbox_messages (id, subject, payload, deliver_at)
         SELECT gen_random_uuid(), 'jobs.outboxed.note', jsonb_build_object('id', n), $1::timestamptz + n * interval '1 second'
         FROM generate_series(0, 4999) AS n`,
        [earliest],
      );
      await waitFor(() => notified.length >= 1, { description: 'a notification for the bulk insert' });
      await sleep(200);
      expect(notified).toEqual([earliest.toISOString().replace(/Z$/, '000Z')]);

      notified.length = 0;
      await dataSource.query(
        `UPDATE outbox_messages SET deliver_at = deliver_at - interval '30 seconds'
         WHERE id IN (SELECT id FROM outbox_messages ORDER BY deliver_at LIMIT 3)`,
      );
      await waitFor(() => notified.length >= 3, { description: 'one notification per re-timed row' });
    } finally {
      await listener.end();
      await dataSource.query('DELETE FROM outbox_messages');
    }
  });
});
