import type { NatsConnection } from 'nats';
import { KeyBudgetStore, RateLimitBuckets } from './key-budget-store';
import { KeyPauses, MaxPauseMs, type PausedKey } from './key-pauses';

/**
 * What an operator (the dashboard, the CLI) can see and do about rate limits without running a worker: list the
 * keys paused cluster-wide with their end, pause or resume one, count the concurrency slots in use.
 */
export class RateLimitAdmin {
  private constructor(
    private readonly pauses: KeyPauses,
    private readonly budgets: KeyBudgetStore,
  ) {}

  static async open(nc: NatsConnection, replicas = 1): Promise<RateLimitAdmin> {
    const js = nc.jetstream();
    const kv = (bucket: string) => js.views.kv(bucket, { history: 1, replicas, ttl: MaxPauseMs });
    return new RateLimitAdmin(
      new KeyPauses(await kv(RateLimitBuckets.pauses)),
      new KeyBudgetStore(await kv(RateLimitBuckets.budgets)),
    );
  }

  listPausedKeys(): Promise<PausedKey[]> {
    return this.pauses.list();
  }

  pauseKey(
    target: { consumer: string; subject: string; key: string },
    ms: number,
    reason?: string,
  ): Promise<Date> {
    return this.pauses.pause(target, ms, reason);
  }

  resumeKey(consumer: string, key: string): Promise<void> {
    return this.pauses.resume(consumer, key);
  }

  /** Concurrency slots held now, by `<consumer>.<key hash>`. */
  slotsInUse(): Promise<Map<string, number>> {
    return this.budgets.slotsInUse();
  }
}
