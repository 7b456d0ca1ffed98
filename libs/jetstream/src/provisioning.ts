import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamManager,
  NatsError,
  RetentionPolicy,
  StorageType,
  nanos,
  type ConsumerConfig,
  type StreamConfig,
} from 'nats';
import type { Contract } from '@lib/contracts';
import { durableName, Streams, streamForSubject } from './names';

const DAY_MS = 24 * 3600_000;

export interface StreamSettings {
  replicas: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped; at least 2 minutes (DESIGN §4). */
  duplicateWindowMs: number;
  eventsMaxAgeMs: number;
  deadLettersMaxAgeMs: number;
}

export const DefaultStreamSettings: StreamSettings = {
  replicas: 1,
  duplicateWindowMs: 2 * 60_000,
  eventsMaxAgeMs: 7 * DAY_MS,
  deadLettersMaxAgeMs: 180 * DAY_MS,
};

export function streamConfigs(settings: StreamSettings): Partial<StreamConfig>[] {
  const common = {
    storage: StorageType.File,
    num_replicas: settings.replicas,
    duplicate_window: nanos(settings.duplicateWindowMs),
    discard: DiscardPolicy.Old,
  };
  return [
    {
      ...common,
      name: Streams.events.name,
      subjects: [...Streams.events.subjects],
      retention: RetentionPolicy.Limits,
      max_age: nanos(settings.eventsMaxAgeMs),
    },
    {
      ...common,
      name: Streams.jobs.name,
      subjects: [...Streams.jobs.subjects],
      retention: RetentionPolicy.Workqueue,
      // A full work queue must refuse new jobs rather than silently drop the oldest ones.
      discard: DiscardPolicy.New,
    },
    {
      ...common,
      name: Streams.deadLetters.name,
      subjects: [...Streams.deadLetters.subjects],
      retention: RetentionPolicy.Limits,
      max_age: nanos(settings.deadLettersMaxAgeMs),
    },
  ];
}

/** Creates the streams, or brings an existing one's mutable settings in line; safe to run from every replica. */
export async function ensureStreams(jsm: JetStreamManager, settings: StreamSettings): Promise<void> {
  for (const config of streamConfigs(settings)) {
    const existing = await jsm.streams.info(config.name!).catch(notFoundAsNull);
    if (!existing) {
      await jsm.streams.add(config).catch(async (error: unknown) => {
        // Another replica created it between our lookup and our add.
        if (!(await jsm.streams.info(config.name!).catch(notFoundAsNull))) throw error;
      });
      continue;
    }
    const { retention: _fixed, storage: _alsoFixed, ...mutable } = config;
    const current = existing.config;
    const drifted = (Object.keys(mutable) as (keyof StreamConfig)[]).some(
      (key) => JSON.stringify(current[key]) !== JSON.stringify(config[key]),
    );
    if (drifted) await jsm.streams.update(config.name!, { ...current, ...mutable });
  }
}

export interface ConsumerSettings {
  /** How long the server waits for an ack or heartbeat before it considers a delivery lost. */
  ackWaitMs: number;
  /** `max_ack_pending` for contracts without a concurrency limit. */
  defaultMaxAckPending: number;
}

export function consumerConfig(app: string, contract: Contract, settings: ConsumerSettings): ConsumerConfig {
  const stream = streamForSubject(contract.subject);
  const { maxAttempts, concurrency } = contract.options;
  return {
    durable_name: durableName(app, contract.subject),
    description: `${app} handles ${contract.subject}`,
    filter_subject: contract.subject,
    ack_policy: AckPolicy.Explicit,
    // A job queued before its worker ever ran must still run; an event consumer added later starts at new events.
    deliver_policy: stream === Streams.jobs.name ? DeliverPolicy.All : DeliverPolicy.New,
    // No `backoff` list: nats-server 2.9 lets a delayed nak on the second and later deliveries wait the
    // difference between two backoff steps on top of its delay (nak(100 ms) came back after 5.1 s with
    // steps [5 s, 10 s]), and every retry here is such a nak. A worker that died holding a message gets it
    // redelivered after `ack_wait`; a crash loop ends at `max_deliver` and the advisory moves it to the DLQ.
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: maxAttempts,
    max_ack_pending: concurrency ?? settings.defaultMaxAckPending,
  } as ConsumerConfig;
}

/**
 * Creates the durable pull consumer or updates the settings that may change (attempts, backoff, limits);
 * an existing durable keeps its position in the stream.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: ConsumerConfig,
): Promise<void> {
  const name = config.durable_name!;
  const existing = await jsm.consumers.info(stream, name).catch(notFoundAsNull);
  if (!existing) {
    try {
      await jsm.consumers.add(stream, config);
      return;
    } catch (error) {
      if (!(await jsm.consumers.info(stream, name).catch(notFoundAsNull))) throw error;
    }
  }
  const current = (existing ?? (await jsm.consumers.info(stream, name))).config;
  const mutable: (keyof ConsumerConfig)[] = [
    'description',
    'ack_wait',
    'max_deliver',
    'backoff',
    'max_ack_pending',
  ];
  const changes = mutable.filter((key) => JSON.stringify(current[key]) !== JSON.stringify(config[key]));
  if (changes.length === 0) return;
  const update: Partial<ConsumerConfig> = {};
  for (const key of mutable) (update as Record<string, unknown>)[key] = config[key];
  if (!config.backoff) update.backoff = undefined;
  await jsm.consumers.update(stream, name, update);
}

export function notFoundAsNull(error: unknown): null {
  if (error instanceof NatsError && (error.api_error?.code === 404 || /not found/i.test(error.message)))
    return null;
  throw error;
}
