/*
 * npm run bench:outbox — outbox relay latency against a private nats-server and a private database (the
 * `outbox` workload of `npm run bench`, run alone and under ts-node): immediate rows committed one per
 * transaction at 100/s → consumer, and rows due 2 s ahead → how late they reach the consumer.
 */
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { connect } from 'nats';
import { DefaultStreamSettings, ensureStreams } from '@lib/jetstream';
import { createMigratedTestDatabase, startNatsServer } from '@lib/testing';
import { measureOutboxLatency } from './lib/outbox-probe';
import { benchSettings } from './lib/settings';

async function main(): Promise<void> {
  const settings = benchSettings().outbox;
  const [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
  try {
    const nc = await connect({ servers: nats.url });
    await ensureStreams(await nc.jetstreamManager(), DefaultStreamSettings);
    await nc.close();
    const { immediate, lateness } = await measureOutboxLatency(nats.url, database.url, settings);
    const fmt = (ms: number) => ms.toFixed(1);
    const lines = [
      `| probe | rows | p50 ms | p99 ms | max ms |`,
      `|---|---|---|---|---|`,
      `| immediate row: commit -> consumer | ${immediate.count} | ${fmt(immediate.p50)} | ${fmt(immediate.p99)} | ${fmt(immediate.max)} |`,
      `| delayed row: deliver_at -> consumer (lateness) | ${lateness.count} | ${fmt(lateness.p50)} | ${fmt(lateness.p99)} | ${fmt(lateness.max)} |`,
    ];
    process.stdout.write(
      `outbox relay latency (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()[0].toFixed(2)})\n${lines.join('\n')}\n`,
    );
  } finally {
    await nats.cleanup();
    await database.drop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
