import { createHash } from 'node:crypto';
import type { KV, KvEntry } from 'nats';
import {
  admitToSlots,
  admitToWindow,
  confirmStart,
  dropReservation,
  liveHolders,
  windowLogOf,
  type Holders,
  type WindowLog,
} from './key-budgets';

export const RateLimitBuckets = {
  /** Sliding windows (`w.<consumer>.<key hash>`) and concurrency slots (`c.<consumer>.<key hash>`). */
  budgets: 'rate-limits',
  /** Keys paused by a handler (e.g. on HTTP 429), one entry per consumer and key. */
  pauses: 'rate-limit-pauses',
  /** How many deliveries of a message were spent waiting for a budget, so they do not count as attempts. */
  deferrals: 'rate-limit-deferrals',
} as const;

/** A KV key for a limit key: keys are free text, KV keys are not. */
export function budgetKey(consumer: string, limitKey: string): string {
  const digest = createHash('sha256').update(limitKey).digest('hex').slice(0, 32);
  return `${consumer.replace(/[^A-Za-z0-9_-]/g, '_')}.${digest}`;
}

/** Another replica changed the entry between our read and our write. */
export function isConflict(error: unknown): boolean {
  return /wrong last sequence|key exists|10071/i.test(String((error as Error)?.message ?? error));
}

const MaxCasTries = 10;

/** 5 % of the window, at most 50 ms: replicas on different hosts read different clocks. */
export function windowGuardMs(per: number): number {
  return Math.min(50, Math.floor(per / 20));
}

/**
 * A start is reserved this long for its handler to begin. The reserving worker gives it back unless the handler
 * can begin well within it (`ReservationMarginMs`), so an expired reservation is a safe stand-in for the start.
 */
export const ReservationTtlMs = 5_000;
const ReservationMarginMs = 1_000;

export type StartDecision = { admitted: true } | { admitted: false; freeAt: number };

/**
 * Budgets shared by every replica, kept in one KV bucket and changed only with compare-and-set on the entry's
 * revision: two workers can never both take the last start or slot.
 */
export class KeyBudgetStore {
  constructor(private readonly kv: KV) {}

  /**
   * Reserves one start of the window for `id`, or says when one frees. The caller confirms it with the
   * handler's real start time (`confirmStart`), or gives it back (`dropReservation`).
   */
  async takeStart(key: string, limit: number, per: number, id: string): Promise<StartDecision> {
    const entryKey = `w.${key}`;
    const reservation = { id, ttlMs: ReservationTtlMs };
    for (let tries = 0; tries < MaxCasTries; tries++) {
      const entry = await this.kv.get(entryKey);
      const now = Date.now();
      const log = windowLogOf(readJson(entry));
      const decision = admitToWindow(log, now, limit, per, reservation, windowGuardMs(per));
      if (!decision.admitted) return decision;
      if (!(await writeIfUnchanged(this.kv, entryKey, entry, decision.log))) continue;
      if (Date.now() < now + ReservationTtlMs - ReservationMarginMs) return { admitted: true };
      // The write took seconds: the reservation could expire before the handler confirms it.
      await this.dropReservation(key, id);
      return { admitted: false, freeAt: Date.now() };
    }
    // Heavy contention on one key: waiting a little is the right answer anyway.
    return { admitted: false, freeAt: Date.now() + Math.ceil(per / limit) };
  }

  /** The handler of reservation `id` started at `at`; until this lands, the reservation holds its place. */
  async confirmStart(key: string, id: string, at: number): Promise<void> {
    await this.changeWindow(key, (log) => confirmStart(log, id, at));
  }

  async dropReservation(key: string, id: string): Promise<void> {
    await this.changeWindow(key, (log) => dropReservation(log, id));
  }

  async takeSlot(key: string, limit: number, holder: string, leaseMs: number): Promise<boolean> {
    const entryKey = `c.${key}`;
    for (let tries = 0; tries < MaxCasTries; tries++) {
      const entry = await this.kv.get(entryKey);
      const decision = admitToSlots(readJson<Holders>(entry) ?? {}, Date.now(), limit, holder, leaseMs);
      if (!decision.admitted) return false;
      if (await writeIfUnchanged(this.kv, entryKey, entry, decision.holders)) return true;
    }
    return false;
  }

  /** Extends the leases of `holders` (all of this process) on one key; drops the expired ones of others. */
  async renewSlots(key: string, holders: readonly string[], leaseMs: number): Promise<void> {
    await this.changeSlots(key, (current, now) => {
      const next = liveHolders(current, now);
      for (const holder of holders) next[holder] = now + leaseMs;
      return next;
    });
  }

  async releaseSlot(key: string, holder: string): Promise<void> {
    await this.changeSlots(key, (current, now) => {
      const next = liveHolders(current, now);
      delete next[holder];
      return next;
    });
  }

  /** Every live slot of every key, for operators: consumer key -> holders. */
  async slotsInUse(): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const now = Date.now();
    for (const entryKey of await allKeys(this.kv, 'c.>')) {
      const holders = readJson<Holders>(await this.kv.get(entryKey)) ?? {};
      const count = Object.keys(liveHolders(holders, now)).length;
      if (count > 0) result.set(entryKey.slice(2), count);
    }
    return result;
  }

  private changeWindow(key: string, change: (log: WindowLog) => WindowLog | undefined): Promise<void> {
    return this.changeEntry(`w.${key}`, (entry) => change(windowLogOf(readJson(entry))));
  }

  private changeSlots(key: string, change: (current: Holders, now: number) => Holders): Promise<void> {
    return this.changeEntry(`c.${key}`, (entry) => change(readJson<Holders>(entry) ?? {}, Date.now()));
  }

  /**
   * Reads, changes and writes back one entry until no other writer came between; `change` answers undefined
   * when there is nothing to write.
   */
  private async changeEntry(entryKey: string, change: (entry: KvEntry | null) => unknown): Promise<void> {
    for (let tries = 0; tries < MaxCasTries; tries++) {
      const entry = await this.kv.get(entryKey);
      const next = change(entry);
      if (next === undefined || (await writeIfUnchanged(this.kv, entryKey, entry, next))) return;
    }
    throw new Error(`could not update ${entryKey}: too much contention`);
  }
}

/**
 * Writes `value` as JSON if the entry is still as `read` (or still absent). False when another writer got there
 * first: the caller reads again and retries.
 */
export async function writeIfUnchanged(
  kv: KV,
  entryKey: string,
  read: KvEntry | null,
  value: unknown,
): Promise<boolean> {
  const bytes = Buffer.from(JSON.stringify(value));
  try {
    if (read) await kv.update(entryKey, bytes, read.revision);
    else await kv.create(entryKey, bytes);
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

/**
 * The bucket's keys, read to the end before anything else is asked: a `kv.get` awaited inside the `keys()`
 * iteration ends it after the first key (nats.js 2.29), so a listing would show one entry of many.
 */
export async function allKeys(kv: KV, filter?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await kv.keys(filter)) keys.push(key);
  return keys;
}

export function readJson<T>(entry: KvEntry | null): T | null {
  if (!entry || entry.operation !== 'PUT' || entry.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(entry.value).toString()) as T;
  } catch {
    return null;
  }
}
