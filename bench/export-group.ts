/*
 * npm run bench:export — one group export (JSONL, then CSV) against a private nats-server and database:
 * rows/s, MB/s and the peak RSS of the process while exporting. BENCH_EXPORT_ROWS comments (default 100k)
 * of BENCH_EXPORT_BODY bytes (default 500) in one discussion; EXPORT_BATCH_SIZE rows per query (1000).
 */
import 'reflect-metadata';
import { connect } from 'nats';
import pino from 'pino';
import { Contracts } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, Outbox } from '@lib/db';
import { ObjectBuckets, ObjectFiles } from '@lib/jetstream';
import { createMigratedTestDatabase, startNatsServer } from '@lib/testing';
import { DownloadLinks } from '../apps/exporter/src/exports/download-link';
import { GroupExporter } from '../apps/exporter/src/exports/export-group';

const rows = Number(process.env.BENCH_EXPORT_ROWS ?? 100_000);
const bodyBytes = Number(process.env.BENCH_EXPORT_BODY ?? 500);
const batchSize = Number(process.env.EXPORT_BATCH_SIZE ?? 1000);

async function main(): Promise<void> {
  const [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
  const dataSource = await createDataSource({
    url: database.url,
    entities: AllEntities,
    migrations: AllMigrations,
  }).initialize();
  const nc = await connect({ servers: nats.url });
  try {
    const [{ id: userId }] = (await dataSource.query(
      `INSERT INTO users (name, email) VALUES ('Admin', 'admin@bench.test') RETURNING id`,
    )) as { id: string }[];
    const [{ id: groupId }] = (await dataSource.query(
      `INSERT INTO groups (name) VALUES ('Bench') RETURNING id`,
    )) as { id: string }[];
    await dataSource.query(
      `INSERT INTO memberships (group_id, user_id, admin, accepted_at) VALUES ($1, $2, true, now())`,
      [groupId, userId],
    );
    const [{ id: discussionId }] = (await dataSource.query(
      `INSERT INTO discussions (group_id, author_id, title) VALUES ($1, $2, 'Big thread') RETURNING id`,
      [groupId, userId],
    )) as { id: string }[];
    await dataSource.query(
      `INSERT INTO comments (discussion_id, author_id, body)
       SELECT $1, $2, left(repeat(md5(i::text), $3 / 32 + 1), $3) FROM generate_series(1, $4) i`,
      [discussionId, userId, bodyBytes, rows],
    );
    const exporter = new GroupExporter(
      dataSource,
      new Outbox(Contracts, 'urn:bench'),
      await ObjectFiles.open(nc, ObjectBuckets.exports),
      new DownloadLinks('bench'.repeat(8)),
      { batchSize, ttlDays: 7 },
      pino({ level: 'silent' }),
    );
    const results = [];
    for (const format of ['jsonl', 'csv'] as const) {
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const started = process.hrtime.bigint();
      const outcome = await exporter.run(
        { groupId: Number(groupId), requestedBy: Number(userId), format },
        `bench-${format}-${Date.now()}`,
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearInterval(sampler);
      if (outcome.status !== 'completed') throw new Error(`export ${format}: ${JSON.stringify(outcome)}`);
      results.push({
        format,
        rows: outcome.rows,
        'file MB': (outcome.bytes / 1e6).toFixed(1),
        seconds: seconds.toFixed(2),
        'rows/s': Math.round(outcome.rows / seconds),
        'MB/s': (outcome.bytes / 1e6 / seconds).toFixed(1),
        'peak RSS MB': (peakRss / 1e6).toFixed(0),
        'RSS growth MB': ((peakRss - rssBefore) / 1e6).toFixed(0),
      });
    }
    console.table(results);
  } finally {
    await nc.close();
    await dataSource.destroy();
    await nats.cleanup();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
