/*
 * One group export (JSONL, then CSV) against a private nats-server and database: rows/s, MB/s, CPU seconds
 * and the peak RSS of this process while exporting.
 *
 *   npm run bench:export                                   (ts-node; BENCH_EXPORT_ROWS, default 100k)
 *   tsc -p bench/tsconfig.json && node dist/bench/bench/export-group.js      (as `npm run bench` forks it)
 *
 * The group is seeded like a real one, with generate_series: members, discussions with readers, comments
 * with their events, polls with options, votes and vote events; comments and their events are most of it.
 * BENCH_EXPORT_ROWS rows in all (exported rows, give or take a few), comments of BENCH_EXPORT_BODY bytes
 * (default 500), EXPORT_BATCH_SIZE rows per query (the exporter's default). Another group holds a tenth as much, so the
 * queries have rows to skip.
 */
import './paths';
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { connect } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, Outbox } from '@lib/db';
import { ObjectBuckets, ObjectFiles } from '@lib/jetstream';
import { createMigratedTestDatabase, startNatsServer } from '@lib/testing';
import { ExporterConfigSchema } from '../apps/exporter/src/config';
import { DownloadLinks } from '../apps/exporter/src/exports/download-link';
import { GroupExporter } from '../apps/exporter/src/exports/export-group';
import type { ExportRun } from './lib/settings';

export interface ExportBenchOptions {
  rows: number;
  bodyBytes: number;
  batchSize?: number;
}

/** What the bench's report reads (`ExportRun`), and what only this script's own table shows. */
export interface ExportBenchResult extends ExportRun {
  /** V8 heap in use, and memory outside it (Buffers), at their highest during the export. */
  peakHeapUsedMb: number;
  peakExternalMb: number;
  /** CPU time (user + system) of this process during the export: meaningful when the machine is shared. */
  cpuSeconds: number;
  rowsPerCpuSecond: number;
  /** CPU time of the database backends and of nats-server during the export (from /proc). */
  postgresCpuSeconds: number;
  natsCpuSeconds: number;
  /** 1-minute load average when the export ended. */
  loadAverage: number;
}

interface SeededGroup {
  groupId: number;
  adminId: number;
}

const Mb = 1024 * 1024;

/** EXPORT_BATCH_SIZE as the exporter reads it (its default when unset). */
function batchSizeSetting(): number {
  return ExporterConfigSchema.shape.EXPORT_BATCH_SIZE.parse(process.env.EXPORT_BATCH_SIZE);
}

export async function runExportBenchmark(options: ExportBenchOptions): Promise<ExportBenchResult[]> {
  const [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
  let dataSource: DataSource | undefined;
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    dataSource = await createDataSource({
      url: database.url,
      entities: AllEntities,
      migrations: AllMigrations,
    }).initialize();
    nc = await connect({ servers: nats.url });
    const seedStarted = process.hrtime.bigint();
    await seedGroup(dataSource, 'Elsewhere', Math.ceil(options.rows / 10), options.bodyBytes);
    const { groupId, adminId } = await seedGroup(dataSource, 'Bench', options.rows, options.bodyBytes);
    // Production tables have statistics (autovacuum); without them the planner guesses the group's size.
    await dataSource.query('VACUUM ANALYZE');
    const seedSeconds = Number(process.hrtime.bigint() - seedStarted) / 1e9;
    const exporter = new GroupExporter(
      dataSource,
      new Outbox(Contracts, 'urn:bench'),
      await ObjectFiles.open(nc, ObjectBuckets.exports),
      new DownloadLinks('bench'.repeat(8)),
      { batchSize: options.batchSize ?? batchSizeSetting(), ttlDays: 7 },
      pino({ level: 'silent' }),
    );
    const results: ExportBenchResult[] = [];
    for (const format of ['jsonl', 'csv'] as const) {
      const rssBefore = process.memoryUsage.rss();
      let peakRss = rssBefore;
      let peakHeapUsed = 0;
      let peakExternal = 0;
      const sampler = setInterval(() => {
        const memory = process.memoryUsage();
        peakRss = Math.max(peakRss, memory.rss);
        peakHeapUsed = Math.max(peakHeapUsed, memory.heapUsed);
        peakExternal = Math.max(peakExternal, memory.external);
      }, 20);
      const postgresBefore = new Map(
        (await backendPids(dataSource, database.name)).map((pid) => [pid, cpuSecondsOf([pid])]),
      );
      const cpuBefore = process.cpuUsage();
      const natsBefore = cpuSecondsOf([nats.pid]);
      const started = process.hrtime.bigint();
      const outcome = await exporter.run(
        { groupId, requestedBy: adminId, format },
        `bench-${format}-${Date.now()}`,
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      // The exporter's connection may be new: it then counts from its start.
      const postgresCpuSeconds = (await backendPids(dataSource, database.name)).reduce(
        (sum, pid) => sum + cpuSecondsOf([pid]) - (postgresBefore.get(pid) ?? 0),
        0,
      );
      const natsCpuSeconds = cpuSecondsOf([nats.pid]) - natsBefore;
      clearInterval(sampler);
      // Sampled during this export only: the process's lifetime maximum (resourceUsage().maxRSS) would give the
      // second export the first one's peak, and either export the seeding's.
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (outcome.status !== 'completed') throw new Error(`export ${format}: ${JSON.stringify(outcome)}`);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      results.push({
        format,
        rows: outcome.rows,
        bytes: outcome.bytes,
        seconds: round(seconds, 2),
        rowsPerSecond: Math.round(outcome.rows / seconds),
        mbPerSecond: round(outcome.bytes / Mb / seconds, 1),
        peakRssMb: Math.round(peakRss / Mb),
        rssBeforeMb: Math.round(rssBefore / Mb),
        peakHeapUsedMb: Math.round(peakHeapUsed / Mb),
        peakExternalMb: Math.round(peakExternal / Mb),
        seedSeconds: round(seedSeconds, 1),
        cpuSeconds: round(cpuSeconds, 2),
        rowsPerCpuSecond: Math.round(outcome.rows / cpuSeconds),
        postgresCpuSeconds: round(postgresCpuSeconds, 2),
        natsCpuSeconds: round(natsCpuSeconds, 2),
        loadAverage: round(loadavg()[0], 2),
      });
    }
    return results;
  } finally {
    await nc?.close();
    await dataSource?.destroy();
    await nats.cleanup();
    await database.drop();
  }
}

/**
 * A group of about `rows` exported rows. Per 1,000 rows: 1 member (at least 10), 2 discussions with 10
 * readers each, half a poll with 4 options, 80 votes with their choice and event; the rest is comments, each
 * with its `new_comment` event.
 */
async function seedGroup(
  dataSource: DataSource,
  name: string,
  rows: number,
  bodyBytes: number,
): Promise<SeededGroup> {
  const members = Math.max(10, Math.floor(rows / 1000));
  const discussions = Math.max(1, Math.floor(rows / 500));
  const readersPerDiscussion = Math.min(10, members);
  const polls = Math.max(1, Math.floor(rows / 2000));
  const votersPerPoll = Math.min(members, Math.max(1, Math.floor((rows * 0.08) / polls)));
  const fixed =
    1 + 2 * members + discussions * (2 + readersPerDiscussion) + polls * (2 + 4) + polls * votersPerPoll * 3;
  const comments = Math.max(1, Math.floor((rows - fixed) / 2));
  const tag = `${name.toLowerCase()}-${Date.now()}`;
  const q = async <T = { id: string }>(sql: string, params: unknown[]): Promise<T[]> =>
    (await dataSource.query(sql, params)) as T[];

  const [{ id: groupId }] = await q(`INSERT INTO groups (name) VALUES ($1) RETURNING id`, [name]);
  const users = await q(
    `INSERT INTO users (name, email, email_verified, time_zone, locale)
     SELECT 'Member ' || i, $1 || '-' || i || '@bench.test', true, 'Europe/Berlin', 'en'
     FROM generate_series(1, $2) i RETURNING id`,
    [tag, members],
  );
  const firstUser = Number(users[0].id);
  await q(
    `INSERT INTO memberships (group_id, user_id, admin, accepted_at)
     SELECT $1, u, u = $2, now() - interval '1 day' FROM generate_series($2::bigint, $3::bigint) u`,
    [groupId, firstUser, firstUser + members - 1],
  );
  const ds = await q(
    `INSERT INTO discussions (group_id, author_id, title, description, last_activity_at)
     SELECT $1, $2 + i % $3, 'Thread ' || i, 'What we think about topic ' || i, now()
     FROM generate_series(1, $4) i RETURNING id`,
    [groupId, firstUser, members, discussions],
  );
  const firstDiscussion = Number(ds[0].id);
  const lastDiscussion = firstDiscussion + discussions - 1;
  await q(
    `INSERT INTO events (kind, eventable_type, eventable_id, user_id, discussion_id, sequence_id)
     SELECT 'new_discussion', 'Discussion', d, $3, d, 0 FROM generate_series($1::bigint, $2::bigint) d`,
    [firstDiscussion, lastDiscussion, firstUser],
  );
  await q(
    `INSERT INTO discussion_readers (discussion_id, user_id, last_read_at, read_ranges)
     SELECT d, $3 + r, now(), '[[1, 5]]' FROM generate_series($1::bigint, $2::bigint) d, generate_series(0, $4 - 1) r`,
    [firstDiscussion, lastDiscussion, firstUser, readersPerDiscussion],
  );
  // Comments spread over the threads; the `new_comment` event numbers them within their thread.
  await q(
    `WITH inserted AS (
       INSERT INTO comments (discussion_id, author_id, body, body_format)
       SELECT $1 + i % $2, $3 + i % $4, left(repeat(md5(i::text) || ' ', $5 / 33 + 1), $5), 'md'
       FROM generate_series(1, $6) i RETURNING id, discussion_id, author_id
     )
     INSERT INTO events (kind, eventable_type, eventable_id, user_id, discussion_id, sequence_id, depth)
     SELECT 'new_comment', 'Comment', id, author_id, discussion_id,
            row_number() OVER (PARTITION BY discussion_id ORDER BY id), 1
     FROM inserted`,
    [firstDiscussion, discussions, firstUser, members, bodyBytes, comments],
  );
  const ps = await q(
    `INSERT INTO polls (group_id, discussion_id, author_id, title, details, poll_type, anonymous, closing_at,
                        closed_at, voters_count)
     SELECT $1, $2 + i % $3, $4, 'Shall we do ' || i || '?', 'A proposal', 'proposal', i % 5 = 0,
            now() - interval '1 day' + (i % 2) * interval '1 month', CASE WHEN i % 2 = 0 THEN now() END, $6
     FROM generate_series(1, $5) i RETURNING id`,
    [groupId, firstDiscussion, discussions, firstUser, polls, votersPerPoll],
  );
  const firstPoll = Number(ps[0].id);
  const lastPoll = firstPoll + polls - 1;
  await q(
    `INSERT INTO poll_options (poll_id, name, priority)
     SELECT p, (ARRAY['Agree', 'Abstain', 'Disagree', 'Block'])[o + 1], o
     FROM generate_series($1::bigint, $2::bigint) p, generate_series(0, 3) o`,
    [firstPoll, lastPoll],
  );
  await q(
    `INSERT INTO stances (poll_id, participant_id, cast_at, reason, option_scores)
     SELECT p, $3 + v, now(), 'Because ' || v || ' thinks so', jsonb_build_object('Agree', 1)
     FROM generate_series($1::bigint, $2::bigint) p, generate_series(0, $4 - 1) v`,
    [firstPoll, lastPoll, firstUser, votersPerPoll],
  );
  await q(
    `INSERT INTO stance_choices (stance_id, poll_option_id)
     SELECT s.id, (SELECT min(o.id) FROM poll_options o WHERE o.poll_id = s.poll_id)
     FROM stances s WHERE s.poll_id BETWEEN $1 AND $2`,
    [firstPoll, lastPoll],
  );
  await q(
    `INSERT INTO events (kind, eventable_type, eventable_id, user_id, discussion_id, depth)
     SELECT 'poll_created', 'Poll', p.id, p.author_id, p.discussion_id, 1 FROM polls p
     WHERE p.id BETWEEN $1 AND $2
     UNION ALL
     SELECT 'stance_created', 'Stance', s.id, s.participant_id, p.discussion_id, 2
     FROM stances s JOIN polls p ON p.id = s.poll_id WHERE p.id BETWEEN $1 AND $2`,
    [firstPoll, lastPoll],
  );
  return { groupId: Number(groupId), adminId: firstUser };
}

/** Server processes of our database (the pool's connections stay open until the end). */
async function backendPids(dataSource: DataSource, databaseName: string): Promise<number[]> {
  const rows = (await dataSource.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [
    databaseName,
  ])) as { pid: number }[];
  return rows.map((row) => row.pid);
}

/** utime + stime of processes of this machine, in seconds (0 for those that are gone or not readable). */
function cpuSecondsOf(pids: number[]): number {
  const ticksPerSecond = 100;
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Not on Linux, or the process ended.
    }
  }
  return ticks / ticksPerSecond;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function main(): Promise<void> {
  const options: ExportBenchOptions = {
    rows: Number(process.env.BENCH_EXPORT_ROWS ?? 100_000),
    bodyBytes: Number(process.env.BENCH_EXPORT_BODY ?? 500),
    batchSize: batchSizeSetting(),
  };
  const results = await runExportBenchmark(options);
  console.table(
    results.map((result) => ({
      format: result.format,
      rows: result.rows,
      'file MB': round(result.bytes / Mb, 1),
      seconds: result.seconds,
      'rows/s': result.rowsPerSecond,
      'MB/s': result.mbPerSecond,
      'CPU s': result.cpuSeconds,
      'rows/CPU s': result.rowsPerCpuSecond,
      'PG CPU s': result.postgresCpuSeconds,
      'NATS CPU s': result.natsCpuSeconds,
      'peak RSS MB': result.peakRssMb,
      'RSS before MB': result.rssBeforeMb,
      'heap MB': result.peakHeapUsedMb,
      'external MB': result.peakExternalMb,
      load: result.loadAverage,
    })),
  );
  console.log(`seeded in ${results[0]?.seedSeconds}s; load average now ${loadavg().join(' ')}`);
  if (process.send) {
    await new Promise<void>((resolve) =>
      process.send!({ type: 'export-result', results }, undefined, {}, () => resolve()),
    );
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
