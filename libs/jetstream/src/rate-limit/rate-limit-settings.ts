import { assertRateLimit } from '@lib/contracts';
import { ConfigError } from '../service-config';

export interface RateLimitOverride {
  limit: number;
  /** Window length in ms. */
  per: number;
}

/**
 * Per-app limits by subject, for values only known from configuration (e.g. `SMTP_RATE`). An override changes
 * the contract's `limit`/`per` and keeps its key; on a subject without `rateLimit` it sets one budget for the
 * whole subject.
 */
export type RateLimitOverrides = Readonly<Record<string, RateLimitOverride>>;

export interface RateLimitSettings {
  overrides: RateLimitOverrides;
  /** A concurrency slot is leased for this long and renewed every third of it while its job runs. */
  slotLeaseMs: number;
  /** Jobs waiting longer than this for their budget are parked in the outbox instead of a delayed `nak`. */
  maxNakDelayMs: number;
}

export const DefaultRateLimitSettings: RateLimitSettings = {
  overrides: {},
  slotLeaseMs: 15_000,
  maxNakDelayMs: 60_000,
};

const Units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };

/** `jobs.notifier.deliver-email=10/1s,jobs.x.y=100/1m` (a bare number is ms). */
export function parseRateLimitOverrides(text: string): Record<string, RateLimitOverride> {
  const result: Record<string, RateLimitOverride> = {};
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([a-z0-9.-]+)=(\d+)\/(\d+)(ms|s|m|h)?$/.exec(item);
    if (!match) throw new Error(`"${item}" is not <subject>=<limit>/<period>, e.g. jobs.a.b=10/1s`);
    const [, subject, limit, amount, unit = 'ms'] = match;
    const override = { limit: Number(limit), per: Number(amount) * Units[unit] };
    assertRateLimit(subject, override.limit, override.per);
    result[subject] = override;
  }
  return result;
}

/**
 * The app's own overrides (from its config) with the operator's `RATE_LIMIT_OVERRIDES` on top, plus
 * `RATE_LIMIT_SLOT_LEASE_MS` and `RATE_LIMIT_MAX_NAK_DELAY_MS`; a bad value stops the service at boot.
 */
export function rateLimitSettingsFrom(
  service: string,
  env: NodeJS.ProcessEnv,
  fromApp: RateLimitOverrides = {},
): RateLimitSettings {
  try {
    for (const [subject, { limit, per }] of Object.entries(fromApp)) assertRateLimit(subject, limit, per);
    return {
      overrides: { ...fromApp, ...parseRateLimitOverrides(env.RATE_LIMIT_OVERRIDES ?? '') },
      slotLeaseMs: msSetting(env, 'RATE_LIMIT_SLOT_LEASE_MS', DefaultRateLimitSettings.slotLeaseMs),
      maxNakDelayMs: msSetting(env, 'RATE_LIMIT_MAX_NAK_DELAY_MS', DefaultRateLimitSettings.maxNakDelayMs),
    };
  } catch (error) {
    throw new ConfigError(`${service}: invalid rate limits\n  ${(error as Error).message}`);
  }
}

function msSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1000)
    throw new Error(`${name} must be an integer >= 1000 (got "${text}")`);
  return value;
}
