import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { contractMap, defineCronTable, defineJob, type CronEntry } from '@lib/contracts';
import { startNatsServer, type NatsServerHandle } from '@lib/testing';
import {
  CronClaimGraceMs,
  CronScheduler,
  DefaultStreamSettings,
  ensureStreams,
  JetStreamPublisher,
  openCronState,
  planCronTable,
  type CronStateStore,
  type PlannedEntry,
} from '@lib/jetstream';
import { z } from 'zod';

const contracts = contractMap(
  defineJob({
    subject: 'jobs.crontest.tick',
    schema: z.object({ kind: z.string() }),
    description: 'a cron job',
  }),
);
const silent = pino({ level: 'silent' });

describe('cron scheduler (fake clock, real nats-server)', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let store: CronStateStore;
  let published: { id: string; subject: string; at: Date }[];

  beforeEach(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await nc.jetstreamManager(), DefaultStreamSettings);
    store = await openCronState(nc);
    published = [];
  });

  afterEach(async () => {
    await nc.close();
    await nats.cleanup();
  });

  function scheduler(entries: CronEntry[], clock: { now: Date }): CronScheduler {
    const publisher = new JetStreamPublisher(nc.jetstream(), contracts, 'urn:test');
    const planned: PlannedEntry[] = planCronTable(defineCronTable(contracts, entries));
    return new CronScheduler(
      planned,
      store,
      async (entry, id) => {
        const ack = await publisher.publish(entry.subject as 'jobs.crontest.tick', entry.payload as never, {
          id,
        });
        if (!ack.duplicate) published.push({ id, subject: entry.subject, at: clock.now });
      },
      silent,
      () => clock.now,
    );
  }

  const hourly: CronEntry = {
    name: 'hourly',
    schedule: '0 * * * *',
    subject: 'jobs.crontest.tick',
    payload: { kind: 'hourly' },
    description: 'every hour',
  };

  it('publishes each of 10 slots exactly once with two schedulers ticking at the same moments', async () => {
    const clock = { now: new Date('2026-03-01T00:30:00Z') };
    const [a, b] = [scheduler([hourly], clock), scheduler([hourly], clock)];
    await Promise.all([a.tick(), b.tick()]); // first sight: starts at the next slot
    for (let hour = 1; hour <= 10; hour++) {
      for (const minute of [0, 1, 30]) {
        clock.now = new Date(Date.UTC(2026, 2, 1, hour, minute, 0));
        await Promise.all([a.tick(), b.tick(), a.tick()]);
      }
    }
    const ids = published.map((p) => p.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(ids[0]).toBe('cron:hourly:2026-03-01T01:00:00.000Z');
    const jobs = await (await nc.jetstreamManager()).streams.info('JOBS');
    expect(jobs.state.messages).toBe(10);
  });

  it('publishes the most recent slot missed while down, once, and skips the older ones', async () => {
    const clock = { now: new Date('2026-03-01T00:30:00Z') };
    const first = scheduler([hourly], clock);
    await first.tick();
    clock.now = new Date('2026-03-01T01:00:05Z');
    await first.tick();
    expect(published.map((p) => p.id)).toEqual(['cron:hourly:2026-03-01T01:00:00.000Z']);
    // down from 01:10 to 04:20: slots 02:00, 03:00 and 04:00 missed
    clock.now = new Date('2026-03-01T04:20:00Z');
    const restarted = scheduler([hourly], clock);
    await restarted.tick();
    await restarted.tick();
    expect(published.map((p) => p.id)).toEqual([
      'cron:hourly:2026-03-01T01:00:00.000Z',
      'cron:hourly:2026-03-01T04:00:00.000Z',
    ]);
  });

  it('publishes a slot claimed by a scheduler that died before publishing, with the same id', async () => {
    const clock = { now: new Date('2026-03-01T00:30:00Z') };
    await scheduler([hourly], clock).tick();
    const current = (await store.read('hourly'))!;
    // A scheduler claimed 01:00 and died before the stream acked it.
    await store.replace(
      'hourly',
      { ...current.state, lastSlot: '2026-03-01T01:00:00.000Z', published: false },
      current.revision,
    );
    clock.now = new Date('2026-03-01T01:00:30Z');
    await scheduler([hourly], clock).tick();
    expect(published.map((p) => p.id)).toEqual(['cron:hourly:2026-03-01T01:00:00.000Z']);
    expect((await store.read('hourly'))!.state.published).toBe(true);
  });

  it('leaves a fresh claim to the replica waiting for its ack, and publishes it once the claim is stale', async () => {
    const clock = { now: new Date('2026-03-01T00:30:00Z') };
    await scheduler([hourly], clock).tick();
    const current = (await store.read('hourly'))!;
    // Another replica claimed 01:00 half a second ago and is waiting for the stream's ack.
    await store.replace(
      'hourly',
      {
        ...current.state,
        lastSlot: '2026-03-01T01:00:00.000Z',
        published: false,
        claimedAt: '2026-03-01T01:00:00.000Z',
      },
      current.revision,
    );
    clock.now = new Date('2026-03-01T01:00:00.500Z');
    await scheduler([hourly], clock).tick();
    expect(published).toEqual([]);
    // It never finished: once the claim is older than the grace, this replica publishes the slot itself.
    clock.now = new Date(Date.parse('2026-03-01T01:00:00Z') + CronClaimGraceMs);
    await scheduler([hourly], clock).tick();
    expect(published.map((p) => p.id)).toEqual(['cron:hourly:2026-03-01T01:00:00.000Z']);
    expect((await store.read('hourly'))!.state.published).toBe(true);
  });

  it('fires at 09:00 Berlin time every day across the end of summer time, no skip, no double', async () => {
    const berlin: CronEntry = {
      ...hourly,
      name: 'berlin-morning',
      schedule: '0 9 * * *',
      timeZone: 'Europe/Berlin',
    };
    const clock = { now: new Date('2026-10-23T12:00:00Z') };
    const cron = scheduler([berlin], clock);
    await cron.tick();
    for (let t = clock.now.getTime(); t <= Date.parse('2026-10-28T12:00:00Z'); t += 15 * 60_000) {
      clock.now = new Date(t);
      await cron.tick();
    }
    const slots = published.map((p) => p.id.replace('cron:berlin-morning:', ''));
    expect(slots).toEqual([
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z', // clocks went back at 03:00 that night: 09:00 CET is 08:00 UTC
      '2026-10-26T08:00:00.000Z',
      '2026-10-27T08:00:00.000Z',
      '2026-10-28T08:00:00.000Z',
    ]);
  }, 30_000);

  it('stops publishing while paused and does not replay paused slots on resume', async () => {
    const clock = { now: new Date('2026-03-01T00:30:00Z') };
    const cron = scheduler([hourly], clock);
    await cron.tick();
    await cron.setPaused('hourly', true);
    for (const hour of [1, 2, 3]) {
      clock.now = new Date(Date.UTC(2026, 2, 1, hour, 0, 1));
      await cron.tick();
    }
    expect(published).toHaveLength(0);
    expect((await cron.status(clock.now))[0]).toMatchObject({ paused: true });
    await cron.setPaused('hourly', false);
    await cron.tick();
    expect(published).toHaveLength(0);
    clock.now = new Date('2026-03-01T04:00:01Z');
    await cron.tick();
    expect(published.map((p) => p.id)).toEqual(['cron:hourly:2026-03-01T04:00:00.000Z']);
    const [status] = await cron.status(clock.now);
    expect(status).toMatchObject({ name: 'hourly', paused: false, nextRun: '2026-03-01T05:00:00.000Z' });
    expect(status.lastRun).toBe(clock.now.toISOString());
    const manual = await cron.runNow('hourly');
    expect(manual).toMatch(/^cron:hourly:manual:/);
  });

  it('refuses a table with an unknown time zone or an invalid expression, naming the entries', () => {
    expect(() =>
      planCronTable([
        { ...hourly, name: 'mars', timeZone: 'Mars/Olympus_Mons' },
        { ...hourly, name: 'broken', schedule: '0 99 * * *' },
      ]),
    ).toThrow(/cron entry "mars".*\n.*cron entry "broken"/);
    expect(() => defineCronTable(contracts, [{ ...hourly, payload: { kind: 3 } }])).toThrow(
      /cron entry "hourly": Invalid payload/,
    );
  });
});
