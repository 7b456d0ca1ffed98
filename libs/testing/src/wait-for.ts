import { setTimeout as delay } from 'node:timers/promises';

export type Falsy = false | 0 | 0n | '' | null | undefined;

export interface WaitForOptions {
  /** Give up after this long; defaults to 10 s. */
  timeoutMs?: number;
  /** Pause between two probes; defaults to 25 ms. */
  intervalMs?: number;
  /** What is being waited for, named in the timeout error so a failing test explains itself. */
  description?: string;
  /** Stops polling early, e.g. when the process being waited for has already died. */
  signal?: AbortSignal;
}

export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

/**
 * Polls `probe` until it returns (or resolves to) a truthy value and resolves with that value.
 *
 * A probe that throws counts as "not yet", so probes can simply try the real operation (connect,
 * query, ...). On timeout the error names `description` and the last probe failure, which is
 * usually the actual reason the condition never became true.
 */
export function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, Falsy>> {
  const { timeoutMs = 10_000, intervalMs = 25, description = 'condition', signal } = options;

  return new Promise((resolve, reject) => {
    let settled = false;
    let attempts = 0;
    let lastError: unknown;
    let lastValue: unknown;
    let nextAttempt: NodeJS.Timeout | undefined;

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(nextAttempt);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };

    const onAbort = (): void =>
      finish(() =>
        reject(new Error(`Stopped waiting for ${description}: ${describeReason(signal?.reason)}`)),
      );

    const deadline = setTimeout(() => {
      const lastOutcome =
        lastError !== undefined
          ? `last probe error: ${describeReason(lastError)}`
          : `last probe result: ${String(lastValue)}`;
      const message = `Timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${description}; ${lastOutcome}`;
      finish(() =>
        reject(lastError !== undefined ? new Error(message, { cause: lastError }) : new Error(message)),
      );
    }, timeoutMs);

    const attempt = async (): Promise<void> => {
      attempts += 1;
      try {
        const value = await probe();
        if (value) {
          finish(() => resolve(value as Exclude<T, Falsy>));
          return;
        }
        // A probe that now answers "no" instead of throwing has moved past the old failure.
        lastError = undefined;
        lastValue = value;
      } catch (error) {
        lastError = error;
      }
      if (!settled) nextAttempt = setTimeout(() => void attempt(), intervalMs);
    };

    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    void attempt();
  });
}

function describeReason(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
