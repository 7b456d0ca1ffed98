import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { ObjectBuckets, ObjectFiles } from '@lib/jetstream';
import { startTestServers, type TestServers } from '@lib/testing';
import { DownloadLinks } from '../src/exports/download-link';
import { GroupExporter } from '../src/exports/export-group';
import { ExportWorld } from './export-world';

const Rows = 50_000;

/** A full garbage collection, so heap samples measure what is retained, not garbage awaiting collection. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
const BodyBytes = 1_000;

describe('exporter: memory stays flat while exporting a large group', () => {
  let servers: TestServers;
  let db: DataSource;
  let client: NatsConnection;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ db, client } = servers);
  });

  afterAll(async () => {
    await servers?.stop();
  });

  it(`exports ${Rows} comments of ${BodyBytes} bytes with heap growth far below the file size`, async () => {
    const world = new ExportWorld(db);
    const group = await world.group();
    const admin = await world.user();
    await world.member(group, admin, true);
    const discussion = await world.discussion(group, admin);
    await db.query(
      `INSERT INTO comments (discussion_id, author_id, body)
       SELECT $1, $2, repeat(md5(i::text), $3 / 32) FROM generate_series(1, $4) i`,
      [discussion, admin, BodyBytes, Rows],
    );
    const files = await ObjectFiles.open(client, ObjectBuckets.exports);
    const exporter = new GroupExporter(
      db,
      new Outbox(Contracts, 'urn:test'),
      files,
      new DownloadLinks('x'.repeat(32)),
      { batchSize: 1000, ttlDays: 7 },
      pino({ level: 'silent' }),
    );
    collectGarbage();
    const baseline = process.memoryUsage();
    let peakHeap = baseline.heapUsed;
    let peakRss = baseline.rss;
    let batches = 0;
    const started = Date.now();
    const outcome = await exporter.run(
      { groupId: group, requestedBy: admin, format: 'jsonl' },
      'big-export',
      {
        working: () => {
          if (++batches % 5 !== 0) return;
          collectGarbage();
          const usage = process.memoryUsage();
          peakHeap = Math.max(peakHeap, usage.heapUsed);
          peakRss = Math.max(peakRss, usage.rss);
        },
      },
    );
    const seconds = (Date.now() - started) / 1000;
    expect(outcome).toMatchObject({ status: 'completed', rows: Rows + 4 });
    if (outcome.status !== 'completed') return;
    const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    const report = {
      rows: outcome.rows,
      fileMb: mb(outcome.bytes),
      seconds,
      rowsPerSecond: Math.round(outcome.rows / seconds),
      retainedHeapGrowthMb: mb(peakHeap - baseline.heapUsed),
      rssGrowthMb: mb(peakRss - baseline.rss),
    };
    if (process.env.EXPORT_MEMORY_REPORT) process.stdout.write(`${JSON.stringify(report)}\n`);
    expect(outcome.bytes).toBeGreaterThan(Rows * BodyBytes);
    // Holding the export would retain its size (> 50 MB); one batch is about 1 MB and 8 chunks 1 MB more.
    expect(report.retainedHeapGrowthMb).toBeLessThan(12);
    expect(report.rssGrowthMb).toBeLessThan(150);
  });
});
