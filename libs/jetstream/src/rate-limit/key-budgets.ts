/*
 * The decisions behind rate limits and per-key concurrency, as pure functions over the values kept in KV, so the
 * compare-and-set loops around them stay short and the rules can be tested without a server.
 */

/**
 * A key's sliding log. `starts` holds the handlers' start times (ms, ascending) of the last window. `reserved`
 * holds the starts admitted whose handler has not reported its start yet: id -> [admitted at, expires at].
 */
export interface WindowLog {
  starts: number[];
  reserved: Record<string, [admittedAt: number, expiresAt: number]>;
}

export type WindowDecision = { admitted: true; log: WindowLog } | { admitted: false; freeAt: number };

/** A start reserved but not yet confirmed is asked about again this soon when it alone holds the window full. */
const UnconfirmedRetryMs = 10;

export function emptyWindowLog(): WindowLog {
  return { starts: [], reserved: {} };
}

/** Reads a stored log; the first releases stored a bare array of start times. */
export function windowLogOf(stored: unknown): WindowLog {
  if (Array.isArray(stored)) return { starts: stored.filter((at) => typeof at === 'number'), reserved: {} };
  if (stored && typeof stored === 'object') {
    const { starts, reserved } = stored as Partial<WindowLog>;
    return { starts: Array.isArray(starts) ? starts : [], reserved: reserved ?? {} };
  }
  return emptyWindowLog();
}

/**
 * Admits a start while fewer than `limit` count in the window; otherwise says when the oldest start that
 * matters leaves it. A start counts on the time its handler really started, which is known only after the
 * decision: until the handler confirms it, the reserved start counts as in the window whatever the time, so no
 * other worker can start at the window's edge while it is on its way. A reservation never confirmed (its worker
 * died) counts as a start at its expiry, a time its handler, if any, cannot have passed (see `KeyBudgetStore`).
 * Each start occupies the window for `per + guardMs`; the guard absorbs clock differences between hosts.
 */
export function admitToWindow(
  log: WindowLog,
  now: number,
  limit: number,
  per: number,
  reservation: { id: string; ttlMs: number },
  guardMs = 0,
): WindowDecision {
  const span = per + guardMs;
  const starts = log.starts.filter((at) => at > now - span);
  const reserved: WindowLog['reserved'] = {};
  for (const [id, [admittedAt, expiresAt]] of Object.entries(log.reserved)) {
    if (expiresAt > now) reserved[id] = [admittedAt, expiresAt];
    else if (expiresAt > now - span) starts.push(expiresAt);
  }
  starts.sort((a, b) => a - b);
  const pending = Object.values(reserved);
  if (starts.length + pending.length < limit) {
    reserved[reservation.id] = [now, now + reservation.ttlMs];
    return { admitted: true, log: { starts, reserved } };
  }
  // Reserved starts are expected to confirm at about their admission time; with a lowered limit the window
  // may hold more than `limit` starts, and frees once enough of them leave it.
  const expected = [...starts, ...pending.map(([admittedAt]) => admittedAt)].sort((a, b) => a - b);
  const freeAt = expected[expected.length - limit] + span;
  return { admitted: false, freeAt: Math.max(freeAt, now + UnconfirmedRetryMs) };
}

/** The handler of reservation `id` started at `at`: it counts from then on. Unknown ids changed nothing. */
export function confirmStart(log: WindowLog, id: string, at: number): WindowLog | undefined {
  const reservation = log.reserved[id];
  if (!reservation) return undefined;
  // A confirmation later than the expiry (a stalled process) keeps the expiry, which others may have used.
  const starts = [...log.starts, Math.min(at, reservation[1])].sort((a, b) => a - b);
  return { starts, reserved: withoutReservation(log, id) };
}

/** Reservation `id` will not start (its job was sent back after all). */
export function dropReservation(log: WindowLog, id: string): WindowLog | undefined {
  if (!log.reserved[id]) return undefined;
  return { starts: log.starts, reserved: withoutReservation(log, id) };
}

function withoutReservation(log: WindowLog, id: string): WindowLog['reserved'] {
  const reserved = { ...log.reserved };
  delete reserved[id];
  return reserved;
}

/** Holder id -> lease expiry (ms). Expired leases (a worker that died holding a slot) no longer count. */
export type Holders = Record<string, number>;

export type SlotDecision = { admitted: true; holders: Holders } | { admitted: false };

export function admitToSlots(
  holders: Holders,
  now: number,
  limit: number,
  holder: string,
  leaseMs: number,
): SlotDecision {
  const alive = liveHolders(holders, now);
  if (Object.keys(alive).length >= limit) return { admitted: false };
  alive[holder] = now + leaseMs;
  return { admitted: true, holders: alive };
}

export function liveHolders(holders: Holders, now: number): Holders {
  const alive: Holders = {};
  for (const [id, expiresAt] of Object.entries(holders)) if (expiresAt > now) alive[id] = expiresAt;
  return alive;
}

/**
 * Where a job refused by a window waits: the first free start, or later when this process already sent other
 * jobs of the key to wait for it, so a backlog returns one start interval apart instead of all at once.
 */
export class DeferralSpreader {
  private readonly keys = new Map<string, { blockedUntil: number; nextAt: number }>();

  /** A budget known to be exhausted until `freeAt`: later jobs of the key wait without asking the store. */
  block(key: string, freeAt: number): void {
    const state = this.keys.get(key);
    if (state) state.blockedUntil = Math.max(state.blockedUntil, freeAt);
    else this.keys.set(key, { blockedUntil: freeAt, nextAt: 0 });
  }

  blockedUntil(key: string, now: number): number {
    const until = this.keys.get(key)?.blockedUntil ?? 0;
    return until > now ? until : 0;
  }

  /** The delay for one more waiting job of `key`, given the interval between starts. */
  nextDelay(key: string, now: number, intervalMs: number): number {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { blockedUntil: 0, nextAt: 0 }));
    const at = Math.max(now, state.blockedUntil, state.nextAt);
    state.nextAt = at + intervalMs;
    return at - now;
  }

  /** Drops keys with nothing pending, so the map does not grow with every key ever seen. */
  prune(now: number): void {
    for (const [key, state] of this.keys)
      if (state.blockedUntil < now && state.nextAt < now) this.keys.delete(key);
  }
}
