import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  type JetStreamManager,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import {
  DefaultStreamSettings,
  envelopeHeaders,
  ensureStreams,
  notFoundAsNull,
  streamConfigs,
  Streams,
} from '@lib/jetstream';
import { benchPayload } from './bench-app';
import { BullJobOptions, EnqueueWindow } from './settings';

/** Orchestrator-side helpers: fresh streams and queues for every run, preloading, checks and cleanup. */

const PreloadSource = 'urn:loomio-workers:bench';

/** Deletes our JOBS stream (and so every consumer on it) and creates the streams again, empty. */
export async function freshJobsStream(jsm: JetStreamManager): Promise<void> {
  await jsm.streams.delete(Streams.jobs.name).catch(notFoundAsNull);
  await ensureStreams(jsm, DefaultStreamSettings);
}

/** A stream configured exactly like JOBS (work queue, file storage, duplicate window) for the raw contender. */
export async function freshRawStream(
  jsm: JetStreamManager,
  raw: { stream: string; subject: string; durable: string },
): Promise<void> {
  const jobs = streamConfigs(DefaultStreamSettings).find((c) => c.name === Streams.jobs.name)!;
  await jsm.streams.delete(raw.stream).catch(notFoundAsNull);
  await jsm.streams.add({ ...jobs, name: raw.stream, subjects: [raw.subject] } as StreamConfig);
  await jsm.consumers.add(raw.stream, {
    durable_name: raw.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(10_000),
    max_deliver: 3,
    max_ack_pending: 20_000,
  });
}

export async function deleteStream(jsm: JetStreamManager, name: string): Promise<void> {
  await jsm.streams.delete(name).catch(notFoundAsNull);
}

/**
 * Fills a subject with `count` 128-byte jobs carrying the same CloudEvents headers our publisher sets, so the
 * raw consumer and ours read identical messages.
 */
export async function preloadNats(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  count: number,
): Promise<void> {
  // Core publishes in flushed batches (no PubAck per message): 10× faster than js.publish, and the count is
  // checked against the stream afterwards.
  const stored = async () => (await jsm.streams.info(stream)).state.messages;
  const before = await stored();
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    for (let n = start; n < Math.min(count, start + batch); n++) {
      const { headers } = envelopeHeaders({ subject, source: PreloadSource });
      nc.publish(subject, JSON.stringify(benchPayload(n)), { headers });
    }
    await nc.flush();
  }
  const deadline = Date.now() + 10_000;
  let have = (await stored()) - before;
  while (have < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    have = (await stored()) - before;
  }
  // Whatever the server did not store (it never should on loopback) is topped up with acknowledged publishes.
  const js = nc.jetstream();
  for (let n = have; n < count; n++) {
    const { id, headers } = envelopeHeaders({ subject, source: PreloadSource });
    await js.publish(subject, JSON.stringify(benchPayload(n)), { msgID: id, headers });
  }
}

/**
 * Publishes `count` jobs with awaited PubAcks, `EnqueueWindow` at a time, while workers already consume them
 * (so the stored count cannot tell what arrived, unlike `preloadNats`); each is sent exactly once.
 */
export async function publishJobs(nc: NatsConnection, subject: string, count: number): Promise<void> {
  const js = nc.jetstream();
  for (let start = 0; start < count; start += EnqueueWindow) {
    const chunk: Promise<unknown>[] = [];
    for (let n = start; n < Math.min(count, start + EnqueueWindow); n++) {
      const { id, headers } = envelopeHeaders({ subject, source: PreloadSource });
      chunk.push(js.publish(subject, JSON.stringify(benchPayload(n)), { msgID: id, headers }));
    }
    await Promise.all(chunk);
  }
}

/** Messages still stored in a work-queue stream: acknowledged ones are gone, so 0 means all were acked. */
export async function waitForEmptyStream(
  jsm: JetStreamManager,
  stream: string,
  timeoutMs = 5000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = (await jsm.streams.info(stream)).state.messages;
    if (left === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface RedisTarget {
  host: string;
  port: number;
}

export function bullQueue(name: string, redis: RedisTarget, prefix: string): Queue {
  return new Queue(name, { connection: { ...redis, maxRetriesPerRequest: null }, prefix });
}

export async function preloadBull(
  queue: Queue,
  jobName: string,
  count: number,
  priority?: number,
): Promise<void> {
  const opts = priority === undefined ? BullJobOptions : { ...BullJobOptions, priority };
  for (let start = 0; start < count; start += EnqueueWindow) {
    const chunk = [];
    for (let n = start; n < Math.min(count, start + EnqueueWindow); n++)
      chunk.push({ name: jobName, data: benchPayload(n), opts });
    await queue.addBulk(chunk);
  }
}

/** Jobs of a queue not yet completed (waiting, prioritized, active, delayed). */
export async function bullBacklog(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'waiting-children');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export async function redisInfo(redis: RedisTarget): Promise<{ version: string; pid?: number } | null> {
  const client = new IORedis({
    ...redis,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const pid = Number(field('process_id'));
    return { version: field('redis_version') ?? '?', pid: Number.isFinite(pid) ? pid : undefined };
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

/** Removes every key under the bench's private prefix (queues a crashed run left behind). */
export async function deleteBullPrefix(redis: RedisTarget, prefix: string): Promise<number> {
  const client = new IORedis({ ...redis, maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}
