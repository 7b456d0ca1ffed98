import { ConfigError } from '../service-config';
import { admitToSlots, admitToWindow, DeferralSpreader } from './key-budgets';
import { parseRateLimitOverrides, rateLimitSettingsFrom } from './rate-limit-settings';

describe('sliding window', () => {
  it('admits up to the limit within the window, then names when the oldest start leaves it', () => {
    let starts: number[] = [];
    for (const now of [0, 100, 200]) {
      const decision = admitToWindow(starts, now, 3, 1000);
      if (!decision.admitted) throw new Error('refused under the limit');
      starts = decision.starts;
    }
    expect(admitToWindow(starts, 500, 3, 1000)).toEqual({ admitted: false, freeAt: 1000 });
    // At 1000 the start at 0 is out of the window: one start is free again, and the old one is dropped.
    expect(admitToWindow(starts, 1000, 3, 1000)).toEqual({ admitted: true, starts: [100, 200, 1000] });
  });

  it('keeps each start in the window for a guard beyond the period', () => {
    expect(admitToWindow([0], 1000, 1, 1000, 50)).toEqual({ admitted: false, freeAt: 1050 });
    expect(admitToWindow([0], 1050, 1, 1000, 50)).toEqual({ admitted: true, starts: [1050] });
  });

  it('waits for enough starts to leave when the limit was lowered below what the window holds', () => {
    expect(admitToWindow([0, 100, 200, 300], 400, 2, 1000)).toEqual({ admitted: false, freeAt: 1200 });
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
