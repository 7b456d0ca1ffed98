import { ConfigError } from '../service-config';
import {
  admitToSlots,
  admitToWindow,
  confirmStart,
  DeferralSpreader,
  dropReservation,
  emptyWindowLog,
  windowLogOf,
  type WindowDecision,
  type WindowLog,
} from './key-budgets';
import { parseRateLimitOverrides, rateLimitSettingsFrom } from './rate-limit-settings';

describe('sliding window', () => {
  const ttlMs = 5000;
  const reserve = (log: WindowLog, now: number, limit: number, per: number, id: string, guardMs = 0) =>
    admitToWindow(log, now, limit, per, { id, ttlMs }, guardMs);
  const admitted = (decision: WindowDecision): WindowLog => {
    if (!decision.admitted) throw new Error(`refused, free at ${decision.freeAt}`);
    return decision.log;
  };

  it('admits up to the limit within the window, then names when the oldest start leaves it', () => {
    let log = emptyWindowLog();
    for (const [i, now] of [0, 100, 200].entries()) {
      log = admitted(reserve(log, now, 3, 1000, `r${i}`));
      log = confirmStart(log, `r${i}`, now)!;
    }
    expect(log).toEqual({ starts: [0, 100, 200], reserved: {} });
    expect(reserve(log, 500, 3, 1000, 'r3')).toEqual({ admitted: false, freeAt: 1000 });
    // At 1000 the start at 0 is out of the window: one start is free again, and the old one is dropped.
    expect(admitted(reserve(log, 1000, 3, 1000, 'r3'))).toEqual({
      starts: [100, 200],
      reserved: { r3: [1000, 6000] },
    });
  });

  it('counts the start from when the handler confirmed it, not from the admission', () => {
    let log = admitted(reserve(emptyWindowLog(), 0, 1, 1000, 'a'));
    // The handler began 80 ms after the admission (a slow event loop): the next start waits for 1080.
    log = confirmStart(log, 'a', 80)!;
    expect(reserve(log, 1000, 1, 1000, 'b')).toEqual({ admitted: false, freeAt: 1080 });
    expect(reserve(log, 1079, 1, 1000, 'b').admitted).toBe(false);
    expect(reserve(log, 1080, 1, 1000, 'b').admitted).toBe(true);
  });

  it('holds the window full while a reserved start is unconfirmed, however long that takes', () => {
    const log = admitted(reserve(emptyWindowLog(), 0, 1, 1000, 'a'));
    // Expected to free a window after the admission, and asked again shortly while still unconfirmed.
    expect(reserve(log, 500, 1, 1000, 'b')).toEqual({ admitted: false, freeAt: 1000 });
    expect(reserve(log, 3000, 1, 1000, 'b')).toEqual({ admitted: false, freeAt: 3010 });
  });

  it('counts a reservation never confirmed as a start at its expiry', () => {
    const log = admitted(reserve(emptyWindowLog(), 0, 1, 1000, 'dead'));
    expect(reserve(log, 5500, 1, 1000, 'b')).toEqual({ admitted: false, freeAt: 6000 });
    expect(admitted(reserve(log, 6000, 1, 1000, 'b'))).toEqual({
      starts: [],
      reserved: { b: [6000, 11000] },
    });
    // A confirmation arriving after the expiry keeps the expiry, the time others may already have counted.
    expect(confirmStart(log, 'dead', 7000)).toEqual({ starts: [5000], reserved: {} });
  });

  it('frees the place of a reservation given back, and ignores ids it does not hold', () => {
    const log = admitted(reserve(emptyWindowLog(), 0, 1, 1000, 'a'));
    expect(dropReservation(log, 'a')).toEqual(emptyWindowLog());
    expect(dropReservation(log, 'other')).toBeUndefined();
    expect(confirmStart(log, 'other', 10)).toBeUndefined();
  });

  it('keeps each start in the window for a guard beyond the period', () => {
    const log = { starts: [0], reserved: {} };
    expect(reserve(log, 1000, 1, 1000, 'b', 50)).toEqual({ admitted: false, freeAt: 1050 });
    expect(reserve(log, 1050, 1, 1000, 'b', 50).admitted).toBe(true);
  });

  it('waits for enough starts to leave when the limit was lowered below what the window holds', () => {
    const log = { starts: [0, 100, 200, 300], reserved: {} };
    expect(reserve(log, 400, 2, 1000, 'b')).toEqual({ admitted: false, freeAt: 1200 });
  });

  it('reads the bare list of start times stored by earlier releases', () => {
    expect(windowLogOf([0, 100])).toEqual({ starts: [0, 100], reserved: {} });
    expect(windowLogOf(null)).toEqual(emptyWindowLog());
  });
});

describe('concurrency slots', () => {
  it('refuses a slot while the limit is held and ignores expired leases of dead holders', () => {
    expect(admitToSlots({ a: 5000, b: 5000 }, 1000, 2, 'c', 3000)).toEqual({ admitted: false });
    expect(admitToSlots({ a: 5000, dead: 900 }, 1000, 2, 'c', 3000)).toEqual({
      admitted: true,
      holders: { a: 5000, c: 4000 },
    });
  });
});

describe('deferral spreader', () => {
  it('sends a backlog back one start interval apart from when the budget frees', () => {
    const spreader = new DeferralSpreader();
    spreader.block('k', 1000);
    expect(spreader.blockedUntil('k', 0)).toBe(1000);
    expect([0, 0, 0].map(() => spreader.nextDelay('k', 0, 200))).toEqual([1000, 1200, 1400]);
    expect(spreader.blockedUntil('other', 0)).toBe(0);
    spreader.prune(5000);
    expect(spreader.blockedUntil('k', 0)).toBe(0);
  });
});

describe('rate-limit settings', () => {
  it('parses per-app overrides with units', () => {
    expect(
      parseRateLimitOverrides('jobs.notifier.deliver-email=10/1s, jobs.a.b=3/250ms,jobs.c.d=100/1m'),
    ).toEqual({
      'jobs.notifier.deliver-email': { limit: 10, per: 1000 },
      'jobs.a.b': { limit: 3, per: 250 },
      'jobs.c.d': { limit: 100, per: 60_000 },
    });
  });

  it('lets the operator override what the app set from its config', () => {
    const settings = rateLimitSettingsFrom(
      'notifier',
      { RATE_LIMIT_OVERRIDES: 'jobs.notifier.deliver-email=2/1s', RATE_LIMIT_SLOT_LEASE_MS: '3000' },
      { 'jobs.notifier.deliver-email': { limit: 10, per: 1000 }, 'jobs.x.y': { limit: 1, per: 60_000 } },
    );
    expect(settings.overrides).toEqual({
      'jobs.notifier.deliver-email': { limit: 2, per: 1000 },
      'jobs.x.y': { limit: 1, per: 60_000 },
    });
    expect(settings.slotLeaseMs).toBe(3000);
  });

  it('refuses bad values at boot with a configuration error naming them', () => {
    expect(() => rateLimitSettingsFrom('notifier', { RATE_LIMIT_OVERRIDES: 'jobs.a.b=ten/1s' })).toThrow(
      /"jobs.a.b=ten\/1s" is not <subject>=<limit>\/<period>/,
    );
    expect(() => rateLimitSettingsFrom('notifier', { RATE_LIMIT_OVERRIDES: 'jobs.a.b=0/1s' })).toThrow(
      ConfigError,
    );
    expect(() => rateLimitSettingsFrom('notifier', { RATE_LIMIT_SLOT_LEASE_MS: '10' })).toThrow(
      /RATE_LIMIT_SLOT_LEASE_MS must be an integer >= 1000/,
    );
    expect(() => rateLimitSettingsFrom('notifier', {}, { 'jobs.a.b': { limit: 5, per: 0 } })).toThrow(
      /rateLimit.per/,
    );
  });
});
