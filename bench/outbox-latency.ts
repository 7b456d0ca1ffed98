/*
 * npm run bench:outbox — outbox relay latency against a private nats-server and a private database:
 *   immediate: a committed row (NOTIFY wakes the relay) -> the message reaches a JetStream consumer;
 *   delayed:   a row due 2 s ahead -> how late it reaches the consumer after its `deliver_at`.
 * Prints a table; BENCHMARKS.md keeps the latest one.
 */
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { AckPolicy, connect } from 'nats';
import pino from 'pino';
import { contractMap, defineJob } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, Outbox } from '@lib/db';
import { DefaultStreamSettings, ensureStreams, OutboxRelay } from '@lib/jetstream';
import { createMigratedTestDatabase, startNatsServer } from '@lib/testing';
import { z } from 'zod';

const contracts = contractMap(
  defineJob({
    subject: 'jobs.bench.outboxed',
    schema: z.object({ n: z.number() }),
    description: 'relay latency probe',
  }),
);
const scale = Number(process.env.BENCH_SCALE ?? 1);
const immediateCount = Math.max(20, Math.round(1000 * scale));
const delayedCount = Math.max(10, Math.round(200 * scale));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
}

async function main(): Promise<void> {
  const [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
  const dataSource = await createDataSource({
    url: database.url,
    entities: AllEntities,
    migrations: AllMigrations,
  }).initialize();
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    await jsm.consumers.add('JOBS', {
      durable_name: 'latency',
      filter_subject: 'jobs.bench.outboxed',
      ack_policy: AckPolicy.Explicit,
    });
    const arrivals = new Map<number, number>();
    const consumer = await nc.jetstream().consumers.get('JOBS', 'latency');
    const messages = await consumer.consume({
      callback: (m) => {
        arrivals.set(m.json<{ n: number }>().n, performance.timeOrigin + performance.now());
        m.ack();
      },
    });
    const relay = new OutboxRelay(dataSource, nc.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
    const outbox = new Outbox(contracts, 'urn:bench');
    const now = () => performance.timeOrigin + performance.now();

    // Immediate rows, one transaction each, at a steady 100 rows/s.
    const committedAt = new Map<number, number>();
    for (let n = 0; n < immediateCount; n++) {
      await dataSource.transaction((manager) => outbox.publish(manager, 'jobs.bench.outboxed', { n }));
      committedAt.set(n, now());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    while (arrivals.size < immediateCount) await new Promise((resolve) => setTimeout(resolve, 50));
    const immediate = summary([...committedAt].map(([n, at]) => arrivals.get(n)! - at));

    // Delayed rows due 2 s ahead, spread over a second.
    const dueAt = new Map<number, number>();
    for (let i = 0; i < delayedCount; i++) {
      const n = immediateCount + i;
      const due = Date.now() + 2000 + Math.floor((i * 1000) / delayedCount);
      await outbox.publish(dataSource.manager, 'jobs.bench.outboxed', { n }, { deliverAt: new Date(due) });
      dueAt.set(n, due);
    }
    while (arrivals.size < immediateCount + delayedCount)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const lateness = summary([...dueAt].map(([n, due]) => arrivals.get(n)! - due));

    await messages.close();
    await relay.stop();
    const fmt = (ms: number) => ms.toFixed(1);
    const lines = [
      `| probe | rows | p50 ms | p99 ms | max ms |`,
      `|---|---|---|---|---|`,
      `| immediate row: commit -> consumer | ${immediateCount} | ${fmt(immediate.p50)} | ${fmt(immediate.p99)} | ${fmt(immediate.max)} |`,
      `| delayed row: deliver_at -> consumer (lateness) | ${delayedCount} | ${fmt(lateness.p50)} | ${fmt(lateness.p99)} | ${fmt(lateness.max)} |`,
    ];
    process.stdout.write(
      `outbox relay latency (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()[0].toFixed(2)})\n${lines.join('\n')}\n`,
    );
  } finally {
    await nc.close();
    await dataSource.destroy();
    await nats.cleanup();
    await database.drop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
