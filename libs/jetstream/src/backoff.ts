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

/**
 * The consumer's `backoff` list: how long the server waits for an ack before redelivering, per delivery.
 * It only matters when a worker died holding the message (a live worker heartbeats or naks with its own
 * delay), so it starts at `ackWaitMs` for a quick recovery and grows to spare a crash-looping job.
 * The server requires fewer steps than `max_deliver`.
 */
export function redeliverySteps(ackWaitMs: number, maxAttempts: number): number[] {
  const steps: number[] = [];
  for (let i = 0; i < Math.min(maxAttempts - 1, 8); i++)
    steps.push(Math.min(ackWaitMs * 2 ** i, 10 * 60_000));
  return steps;
}
