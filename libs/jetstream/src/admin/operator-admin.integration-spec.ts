import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { z } from 'zod';
import { contractMap, defineJob, type CronEntry } from '@lib/contracts';
import { startNatsServer, type NatsServerHandle } from '@lib/testing';
import { openCronState } from '../cron/cron-state';
import { KvBuckets } from '../names';
import { DefaultStreamSettings, ensureStreams } from '../provisioning';
import { JetStreamPublisher } from '../publisher';
import { CronAdmin, CronEntryNotFoundError, WorkerAdmin } from '.';

const Tick = defineJob({
  subject: 'jobs.admin-test.tick',
  schema: z.object({}),
  description: 'a cron target',
});
const Table: CronEntry[] = [
  { name: 'tick', schedule: '0 0 1 1 *', subject: Tick.subject, payload: {}, description: 'yearly' },
];

describe('CronAdmin and WorkerAdmin against a private nats-server', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await nc.jetstreamManager(), DefaultStreamSettings);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('runs an entry now, records it as the last run, pauses and resumes it', async () => {
    const publisher = new JetStreamPublisher(nc.jetstream(), contractMap(Tick), 'urn:test');
    const store = await openCronState(nc);
    const clock = () => new Date('2026-11-24T10:00:00.000Z');
    const admin = new CronAdmin(
      Table,
      store,
      async (entry, id) => {
        await publisher.publish(entry.subject as never, entry.payload as never, { id });
      },
      pino({ level: 'silent' }),
      clock,
    );
    expect((await admin.status())[0]).toMatchObject({ name: 'tick', lastRun: null, paused: false });

    const run = await admin.runNow('tick');
    expect(run).toMatchObject({ name: 'tick', ranAt: '2026-11-24T10:00:00.000Z' });
    expect(run.id).toMatch(/^cron:tick:manual:/);
    const stored = await (
      await nc.jetstreamManager()
    ).streams.getMessage('JOBS', { last_by_subj: Tick.subject });
    expect(stored.header.get('Nats-Msg-Id')).toBe(run.id);
    expect((await admin.status())[0]).toMatchObject({ lastRun: '2026-11-24T10:00:00.000Z' });

    await admin.setPaused('tick', true);
    expect((await store.read('tick'))?.state).toMatchObject({ paused: true, publishedAt: run.ranAt });
    await admin.setPaused('tick', false);
    expect((await admin.status())[0].paused).toBe(false);

    await expect(admin.runNow('nope')).rejects.toBeInstanceOf(CronEntryNotFoundError);
    await expect(admin.setPaused('nope', true)).rejects.toThrow('No cron entry "nope"; known: tick');
  });

  it('lists worker heartbeats, none before any worker started', async () => {
    const jsm = await nc.jetstreamManager();
    expect(await (await WorkerAdmin.open(jsm)).list()).toEqual([]);
    const kv = await nc.jetstream().views.kv(KvBuckets.workers, { history: 1 });
    for (const [key, app] of [
      ['poller.h.1', 'poller'],
      ['notifier.h.2', 'notifier'],
      ['janitor.h.3', 'janitor'],
    ]) {
      await kv.put(key, JSON.stringify({ app, host: 'h', pid: 1, slots: 5, totals: {} }));
    }
    await kv.put('broken.h.4', 'not json');
    await kv.delete('janitor.h.3');
    const workers = await (await WorkerAdmin.open(jsm)).list();
    expect(workers.map((w) => w.key)).toEqual(['notifier.h.2', 'poller.h.1']);
    // Listing leaves no consumer behind on the bucket's stream.
    expect((await jsm.streams.info('KV_workers')).state.consumer_count).toBe(0);
  });
});
