import { AckPolicy, connect } from 'nats';
import pino from 'pino';
import { z } from 'zod';
import { contractMap, defineJob } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, Outbox } from '@lib/db';
import { OutboxRelay, Streams } from '@lib/jetstream';
import { Meter, percentiles, sleep, within } from './measure';
import type { BenchSettings, Percentiles, RunResult } from './settings';

/**
 * Outbox relay latency (the `outbox` workload, and `npm run bench:outbox`) against a JOBS stream that
 * exists and a migrated database: immediate rows committed one per transaction at a steady rate (NOTIFY
 * wakes the relay) → the message reaches a JetStream consumer; then rows due `aheadMs` later → how late
 * they reach it after their `deliver_at`.
 */

export const OutboxedSubject = 'jobs.bench.outboxed';

const contracts = contractMap(
  defineJob({
    subject: OutboxedSubject,
    schema: z.object({ n: z.number() }),
    description: 'relay latency probe',
  }),
);

export interface OutboxLatency {
  immediate: Percentiles;
  lateness: Percentiles;
}

export async function measureOutboxLatency(
  natsUrl: string,
  databaseUrl: string,
  settings: BenchSettings['outbox'],
  brokerPids: readonly number[] = [],
): Promise<RunResult & OutboxLatency> {
  const { immediate: immediateCount, delayed: delayedCount, ratePerSec, aheadMs } = settings;
  const dataSource = await createDataSource({
    url: databaseUrl,
    entities: AllEntities,
    migrations: AllMigrations,
  }).initialize();
  const nc = await connect({ servers: natsUrl, name: 'bench-outbox' });
  const relay = new OutboxRelay(dataSource, nc.jetstream(), databaseUrl, pino({ level: 'silent' }));
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(Streams.jobs.name, {
      durable_name: 'outbox-latency',
      filter_subject: OutboxedSubject,
      ack_policy: AckPolicy.Explicit,
    });
    const arrivals = new Map<number, number>();
    const consumer = await nc.jetstream().consumers.get(Streams.jobs.name, 'outbox-latency');
    const messages = await consumer.consume({
      callback: (m) => {
        arrivals.set(m.json<{ n: number }>().n, performance.timeOrigin + performance.now());
        m.ack();
      },
    });
    await relay.start();
    const outbox = new Outbox(contracts, 'urn:loomio-workers:bench');
    const now = () => performance.timeOrigin + performance.now();
    const meter = new Meter(brokerPids);
    global.gc?.();
    meter.begin();

    // Immediate rows, one transaction each, at a steady rate.
    const committedAt = new Map<number, number>();
    const everyMs = 1000 / ratePerSec;
    const startedAt = performance.now();
    for (let n = 0; n < immediateCount; n++) {
      await dataSource.transaction((manager) => outbox.publish(manager, OutboxedSubject, { n }));
      committedAt.set(n, now());
      await sleep(Math.max(0, startedAt + (n + 1) * everyMs - performance.now()));
    }
    const arrived = (count: number) => async () => {
      while (arrivals.size < count) await sleep(20);
    };
    await within(arrived(immediateCount)(), 30_000, () => `${arrivals.size}/${immediateCount} rows arrived`);
    const immediate = percentiles([...committedAt].map(([n, at]) => arrivals.get(n)! - at));

    // Delayed rows due `aheadMs` later, spread over a second.
    const dueAt = new Map<number, number>();
    for (let i = 0; i < delayedCount; i++) {
      const n = immediateCount + i;
      const due = Date.now() + aheadMs + Math.floor((i * 1000) / delayedCount);
      await outbox.publish(dataSource.manager, OutboxedSubject, { n }, { deliverAt: new Date(due) });
      dueAt.set(n, due);
    }
    const total = immediateCount + delayedCount;
    await within(arrived(total)(), aheadMs + 30_000, () => `${arrivals.size}/${total} rows arrived`);
    const lateness = percentiles([...dueAt].map(([n, due]) => arrivals.get(n)! - due));
    meter.end();
    await messages.close();
    return { ...meter.result(total, { latency: immediate, lateness }), immediate, lateness };
  } finally {
    await relay.stop().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    await dataSource.destroy();
  }
}
