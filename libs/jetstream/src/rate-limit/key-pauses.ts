import type { KV, KvEntry, QueuedIterator } from 'nats';
import { allKeys, budgetKey, readJson, writeIfUnchanged } from './key-budget-store';

/** The longest pause: the bucket's TTL, after which a forgotten pause disappears by itself. */
export const MaxPauseMs = 24 * 3600_000;

export interface PausedKey {
  /** The durable consumer whose jobs of this key wait (`<app>__<subject>`). */
  consumer: string;
  subject: string;
  key: string;
  pausedAt: Date;
  until: Date;
  reason?: string;
}

interface PauseRecord {
  consumer: string;
  subject: string;
  key: string;
  pausedAt: string;
  until: string;
  reason?: string;
}

/**
 * Keys paused cluster-wide (`ctx.pauseKey`, e.g. on HTTP 429 with Retry-After). Every runtime with limited
 * subjects follows the bucket with a watch, so checking a pause costs a map lookup, not a KV read per job.
 */
export class KeyPauses {
  private readonly local = new Map<string, number>();
  private watcher?: QueuedIterator<KvEntry>;

  constructor(private readonly kv: KV) {}

  /** Pauses `key` of `consumer` for everyone until now + ms; a longer pause already in place is kept. */
  async pause(
    target: { consumer: string; subject: string; key: string },
    ms: number,
    reason?: string,
  ): Promise<Date> {
    const entryKey = budgetKey(target.consumer, target.key);
    const now = Date.now();
    const until = now + Math.min(Math.max(0, ms), MaxPauseMs);
    for (let tries = 0; tries < 10; tries++) {
      const entry = await this.kv.get(entryKey);
      const current = readJson<PauseRecord>(entry);
      if (current && Date.parse(current.until) >= until) return new Date(current.until);
      const record: PauseRecord = {
        ...target,
        pausedAt: new Date(now).toISOString(),
        until: new Date(until).toISOString(),
        ...(reason ? { reason } : {}),
      };
      // Another replica paused it meanwhile: read again. Anything else (NATS down) is the caller's problem.
      if (await writeIfUnchanged(this.kv, entryKey, entry, record)) {
        this.local.set(entryKey, until);
        return new Date(until);
      }
    }
    throw new Error(`could not pause ${target.subject} key ${target.key}: too much contention`);
  }

  async resume(consumer: string, key: string): Promise<void> {
    const entryKey = budgetKey(consumer, key);
    this.local.delete(entryKey);
    await this.kv.delete(entryKey);
  }

  /** The keys paused now, soonest to resume first: what the dashboard shows. */
  async list(): Promise<PausedKey[]> {
    const now = Date.now();
    const result: PausedKey[] = [];
    for (const entryKey of await allKeys(this.kv)) {
      const record = readJson<PauseRecord>(await this.kv.get(entryKey));
      if (!record || Date.parse(record.until) <= now) continue;
      result.push({
        consumer: record.consumer,
        subject: record.subject,
        key: record.key,
        pausedAt: new Date(record.pausedAt),
        until: new Date(record.until),
        ...(record.reason ? { reason: record.reason } : {}),
      });
    }
    return result.sort((a, b) => a.until.getTime() - b.until.getTime());
  }

  /** Until when (ms) the budget key is paused, or 0; answered from the local copy kept by `follow`. */
  pausedUntil(entryKey: string, now: number): number {
    const until = this.local.get(entryKey);
    return until !== undefined && until > now ? until : 0;
  }

  pausedCount(now: number): number {
    let count = 0;
    for (const until of this.local.values()) if (until > now) count++;
    return count;
  }

  /** Keeps the local copy in step with the bucket; resolves once the current pauses are loaded. */
  async follow(): Promise<void> {
    let loaded!: () => void;
    const ready = new Promise<void>((resolve) => (loaded = resolve));
    this.watcher = await this.kv.watch({ initializedFn: () => loaded() });
    void (async () => {
      for await (const entry of this.watcher!) {
        const record = readJson<PauseRecord>(entry);
        if (record) this.local.set(entry.key, Date.parse(record.until));
        else this.local.delete(entry.key);
      }
    })().catch(() => undefined);
    await ready;
  }

  stop(): void {
    this.watcher?.stop();
  }
}
