import type { KV, NatsConnection } from 'nats';
import { KvBuckets } from '../names';

export interface CronEntryState {
  /** The newest slot claimed for publishing (ISO), or skipped while paused. */
  lastSlot: string | null;
  /** False between claiming a slot and the stream's ack: a restart publishes it again with the same id. */
  published: boolean;
  publishedAt: string | null;
  paused: boolean;
  /** When `lastSlot` was claimed (ISO); absent in states written before it was kept. */
  claimedAt?: string;
}

export interface VersionedState {
  state: CronEntryState;
  revision: number;
}

/** Cron state per entry in the KV bucket `cron`, changed only with compare-and-set on the revision. */
export class CronStateStore {
  constructor(private readonly kv: KV) {}

  async read(name: string): Promise<VersionedState | null> {
    const entry = await this.kv.get(name);
    if (!entry || entry.operation !== 'PUT') return null;
    return { state: entry.json<CronEntryState>(), revision: entry.revision };
  }

  /** Creates the state if absent; false when another scheduler created it first. */
  async create(name: string, state: CronEntryState): Promise<boolean> {
    try {
      await this.kv.create(name, JSON.stringify(state));
      return true;
    } catch {
      return false;
    }
  }

  /** Writes only if nobody changed the state since `revision`; false when someone did. */
  async replace(name: string, state: CronEntryState, revision: number): Promise<boolean> {
    try {
      await this.kv.update(name, JSON.stringify(state), revision);
      return true;
    } catch {
      return false;
    }
  }

  /** Applies `change` with compare-and-set, re-reading on conflict. */
  async modify(name: string, change: (state: CronEntryState) => CronEntryState): Promise<CronEntryState> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.read(name);
      const base = current?.state ?? { lastSlot: null, published: true, publishedAt: null, paused: false };
      const next = change(base);
      const written = current
        ? await this.replace(name, next, current.revision)
        : await this.create(name, next);
      if (written) return next;
    }
    throw new Error(`cron entry ${name}: state kept changing under us`);
  }
}

/** Opens the cron state bucket; the scheduler, the CLI and the dashboard share it. */
export async function openCronState(nc: NatsConnection, replicas = 1): Promise<CronStateStore> {
  return new CronStateStore(await nc.jetstream().views.kv(KvBuckets.cron, { history: 1, replicas }));
}
