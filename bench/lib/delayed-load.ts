import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { DataSource } from 'typeorm';
import { cloudEventHeaders, contractFor, newTraceParent, validatePayload } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, OutboxMessage } from '@lib/db';
import { BulkWriter } from '@lib/db/seed/bulk-writer';
import { benchPayload, DelayedContracts, DelayedSubject } from './bench-app';
import type { RedisTarget } from './brokers';
import type { BenchSettings, DelayedLoad } from './settings';
import { BullJobOptions, EnqueueWindow } from './settings';

/**
 * Orchestrator side of the delayed workload: stores `stored` jobs due 1 hour to 14 days ahead, then `due`
 * jobs falling due evenly over `windowMs` from `leadMs` after their loading began (stored in random order,
 * as they would be scheduled). Job n carries its due time (epoch ms) in `at`; the worker compares.
 */

const HourMs = 3600_000;
const FarSpreadMs = 14 * 24 * HourMs;
const Source = 'urn:loomio-workers:bench';

interface PlannedJob {
  n: number;
  dueAt: number;
}

/**
 * Writers storing at once, each its own share of the jobs: one writer leaves the client idle while the
 * database (or Redis) executes a batch and the other way round; three keep both cores busy. The same for
 * both contenders.
 */
export const LoadWriters = 3;

function* farJobs(s: BenchSettings['delayed'], now: number, writer: number): Generator<PlannedJob> {
  for (let i = writer; i < s.stored; i += LoadWriters)
    yield { n: s.due + i, dueAt: now + HourMs + Math.floor(Math.random() * FarSpreadMs) };
}

/** The due jobs in a random order of n; job n is due at `firstDueAt + n × window / due`. */
function dueJobs(s: BenchSettings['delayed'], firstDueAt: number): PlannedJob[][] {
  const order = Array.from({ length: s.due }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const shares: PlannedJob[][] = Array.from({ length: LoadWriters }, () => []);
  for (const [i, n] of order.entries())
    shares[i % LoadWriters].push({ n, dueAt: firstDueAt + Math.floor((n * s.windowMs) / s.due) });
  return shares;
}

/** Loads both sets through `store` (`LoadWriters` at once) and times each; the due set from its own start. */
async function loadBoth(
  s: BenchSettings['delayed'],
  store: (jobs: Iterable<PlannedJob>) => Promise<void>,
): Promise<Omit<DelayedLoad, 'storageMb' | 'leftStored'>> {
  const storedFrom = Date.now();
  await Promise.all(Array.from({ length: LoadWriters }, (_, w) => store(farJobs(s, storedFrom, w))));
  const dueFrom = Date.now();
  const firstDueAt = dueFrom + s.leadMs;
  await Promise.all(dueJobs(s, firstDueAt).map((share) => store(share)));
  const end = Date.now();
  return {
    storedJobs: s.stored,
    dueJobs: s.due,
    storedMs: dueFrom - storedFrom,
    dueMs: end - dueFrom,
    marginMs: firstDueAt - end,
  };
}

/**
 * Outbox rows exactly as `Outbox.publish` / `DelayedJobs.enqueue` write them (validated payload, CloudEvents
 * and traceparent headers, the row id as message id), but many per statement (`BulkWriter`: one
 * `INSERT … SELECT FROM unnest(…)` per 2,000 rows, one connection per writer), each row still firing the
 * NOTIFY trigger.
 */
export async function loadOutbox(databaseUrl: string, settings: BenchSettings): Promise<DelayedLoad> {
  const s = settings.delayed;
  const dataSource = await createDataSource({
    url: databaseUrl,
    entities: AllEntities,
    migrations: AllMigrations,
  }).initialize();
  try {
    const contract = contractFor(DelayedContracts, DelayedSubject);
    const timing = await loadBoth(s, async (jobs) => {
      const runner = dataSource.createQueryRunner();
      try {
        const writer = new BulkWriter(dataSource, runner);
        for (const job of jobs) {
          const id = randomUUID();
          const payload = validatePayload(contract, benchPayload(job.n, job.dueAt));
          const headers = cloudEventHeaders({
            id,
            subject: DelayedSubject,
            source: Source,
            traceparent: newTraceParent(),
          });
          await writer.add(OutboxMessage, {
            id,
            subject: DelayedSubject,
            headers,
            payload,
            deliverAt: new Date(job.dueAt),
          });
        }
        await writer.flush();
      } finally {
        await runner.release();
      }
    });
    const [{ bytes }] = (await dataSource.query(
      `SELECT pg_total_relation_size('outbox_messages')::float8 AS bytes`,
    )) as { bytes: number }[];
    return { ...timing, storageMb: bytes / 2 ** 20 };
  } finally {
    await dataSource.destroy();
  }
}

/** Rows still in the outbox (the far jobs, which must all be there at the end). */
export async function outboxRows(databaseUrl: string): Promise<number> {
  const dataSource: DataSource = await createDataSource({
    url: databaseUrl,
    entities: [],
    migrations: [],
  }).initialize();
  try {
    const [{ count }] = (await dataSource.query(`SELECT count(*)::int AS count FROM outbox_messages`)) as {
      count: number;
    }[];
    return count;
  } finally {
    await dataSource.destroy();
  }
}

/**
 * BullMQ jobs with `delay` (from one `timestamp`, so the due time is exact), 1,000 per `addBulk`, one
 * `addBulk` outstanding per writer.
 */
export async function loadBull(
  queue: Queue,
  settings: BenchSettings,
  redis: RedisTarget,
): Promise<DelayedLoad> {
  const usedBefore = await redisUsedMemory(redis);
  const timing = await loadBoth(settings.delayed, async (jobs) => {
    let chunk: Parameters<Queue['addBulk']>[0] = [];
    for (const job of jobs) {
      const timestamp = Date.now();
      chunk.push({
        name: 'delayed',
        data: benchPayload(job.n, job.dueAt),
        opts: { ...BullJobOptions, timestamp, delay: Math.max(0, job.dueAt - timestamp) },
      });
      if (chunk.length === EnqueueWindow) {
        await queue.addBulk(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await queue.addBulk(chunk);
  });
  const usedAfter = await redisUsedMemory(redis);
  return { ...timing, storageMb: (usedAfter - usedBefore) / 2 ** 20 };
}

async function redisUsedMemory(redis: RedisTarget): Promise<number> {
  const client = new IORedis({ ...redis, maxRetriesPerRequest: 1 });
  try {
    const info = await client.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
  } finally {
    client.disconnect();
  }
}
