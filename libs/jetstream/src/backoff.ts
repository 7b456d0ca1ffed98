import type { BackoffPolicy } from '@lib/contracts';

/**
 * Delay before the next attempt after `attempt` (1-based) failed.
 * Sidekiq's formula counts retries from 0: `count^4 + 15 + rand(10) * (count + 1)` seconds.
 */
export function retryDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  switch (policy.type) {
    case 'fixed':
      return policy.delayMs;
    case 'exponential':
      return capped(policy.initialDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
    case 'sidekiq': {
      const count = attempt - 1;
      const seconds = count ** 4 + 15 + Math.floor(random() * 10) * (count + 1);
      return capped(seconds * 1000, policy.maxDelayMs);
    }
  }
}

function capped(delayMs: number, maxDelayMs: number | undefined): number {
  return maxDelayMs === undefined ? delayMs : Math.min(delayMs, maxDelayMs);
}
