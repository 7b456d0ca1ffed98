/*
 * The decisions behind rate limits and per-key concurrency, as pure functions over the values kept in KV, so the
 * compare-and-set loops around them stay short and the rules can be tested without a server.
 */

export type WindowDecision = { admitted: true; starts: number[] } | { admitted: false; freeAt: number };

/**
 * Sliding log: `starts` holds the start times (ms, ascending) of the last `per` ms. A start is admitted while
 * fewer than `limit` remain in the window; otherwise the answer is when the oldest start that matters leaves it.
 * Each start blocks for `per + guardMs`: a start is recorded a round trip before its handler runs, and the guard
 * keeps another worker from starting at the exact edge of the window while that handler is still on its way.
 */
export function admitToWindow(
  starts: readonly number[],
  now: number,
  limit: number,
  per: number,
  guardMs = 0,
): WindowDecision {
  const span = per + guardMs;
  const recent = starts.filter((at) => at > now - span);
  if (recent.length < limit) {
    recent.push(now);
    return { admitted: true, starts: recent };
  }
  // With a lowered limit there may be more than `limit` starts: the window frees once enough of them leave it.
  return { admitted: false, freeAt: recent[recent.length - limit] + span };
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
