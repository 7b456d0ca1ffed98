import type { JetStreamClient, JsMsg } from 'nats';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Contract } from '@lib/contracts';
import { Deferrals } from './deferrals';
import { budgetKey, KeyBudgetStore, RateLimitBuckets } from './key-budget-store';
import { DeferralSpreader } from './key-budgets';
import { KeyPauses, MaxPauseMs } from './key-pauses';
import type { RateLimitSettings } from './rate-limit-settings';

/** A budget freeing within this long is awaited in the process instead of sending the job back. */
const ShortWaitMs = 100;
/** Jobs sent back return this much before their turn: a redelivery lands tens of ms late, the store waits exactly. */
const EarlyReturnMs = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type ThrottleReason = 'rate' | 'concurrency' | 'paused' | 'unavailable';

export type Admission =
  | {
      admitted: true;
      deferredBefore: number;
      /** Call right after invoking the handler: its start is what the window counts. */
      started?: () => void;
      /** Call once the job is done: frees its concurrency slot. */
      release?: () => void;
    }
  | { admitted: false; deferredBefore: number; delayMs: number; reason: ThrottleReason };

interface ResolvedLimits {
  rate?: { key(payload: unknown): string; limit: number; per: number };
  concurrency?: { key(payload: unknown): string; limit: number };
}

/** The contract's limits with this app's overrides applied, or undefined for a subject without any. */
export function limitsOf(contract: Contract, settings: RateLimitSettings): ResolvedLimits | undefined {
  const { rateLimit, concurrencyPerKey } = contract.options;
  const override = settings.overrides[contract.subject];
  const rate = rateLimit
    ? {
        key: (p: unknown) => rateLimit.key(p),
        limit: override?.limit ?? rateLimit.limit,
        per: override?.per ?? rateLimit.per,
      }
    : override
      ? { key: () => contract.subject, ...override }
      : undefined;
  const concurrency = concurrencyPerKey
    ? { key: (p: unknown) => concurrencyPerKey.key(p), limit: concurrencyPerKey.limit }
    : undefined;
  return rate || concurrency ? { rate, concurrency } : undefined;
}

/** A refused job of an exhausted concurrency key comes back after 250 ms, growing to 10 s, with jitter. */
function concurrencyRetryMs(deliveryCount: number): number {
  return Math.round(
    Math.min(10_000, 250 * 1.6 ** Math.min(deliveryCount - 1, 10)) * (0.75 + Math.random() / 2),
  );
}

/**
 * Cluster-wide rate limits, per-key concurrency and key pauses for the limited subjects of one process. Only
 * created when a subject of the app has a limit; subjects without one never reach it.
 */
export class RateLimiter {
  readonly spreader = new DeferralSpreader();
  private readonly slotsFullUntil = new Map<string, number>();
  private readonly held = new Map<string, Set<string>>();
  private holderCount = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly throttledTotal: Counter<'subject' | 'reason'>;

  private constructor(
    readonly store: KeyBudgetStore,
    readonly pauses: KeyPauses,
    readonly deferrals: Deferrals,
    readonly settings: RateLimitSettings,
    private readonly holderPrefix: string,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.throttledTotal = new Counter({
      name: 'jobs_throttled_total',
      help: 'Deliveries sent back to wait for their rate limit, concurrency slot or paused key, by subject',
      labelNames: ['subject', 'reason'],
      registers: [registry],
    });
    new Gauge({
      name: 'rate_limit_paused_keys',
      help: 'Rate-limit keys paused cluster-wide now (as seen by this process)',
      registers: [registry],
      collect() {
        this.set(pauses.pausedCount(Date.now()));
      },
    });
  }

  static async open(
    js: JetStreamClient,
    options: {
      replicas: number;
      settings: RateLimitSettings;
      holderPrefix: string;
      logger: Logger;
      registry: Registry;
    },
  ): Promise<RateLimiter> {
    const kv = (bucket: string) =>
      js.views.kv(bucket, { history: 1, replicas: options.replicas, ttl: MaxPauseMs });
    const pauses = new KeyPauses(await kv(RateLimitBuckets.pauses));
    await pauses.follow();
    const limiter = new RateLimiter(
      new KeyBudgetStore(await kv(RateLimitBuckets.budgets)),
      pauses,
      new Deferrals(await kv(RateLimitBuckets.deferrals)),
      options.settings,
      options.holderPrefix,
      options.logger,
      options.registry,
    );
    limiter.startTimers();
    return limiter;
  }

  admissionFor(contract: Contract, consumer: string): SubjectAdmission | undefined {
    const limits = limitsOf(contract, this.settings);
    return limits ? new SubjectAdmission(this, contract.subject, consumer, limits) : undefined;
  }

  countThrottled(subject: string, reason: ThrottleReason): void {
    this.throttledTotal.inc({ subject, reason });
  }

  /** @internal */
  slotsKnownFull(entryKey: string, now: number): boolean {
    return (this.slotsFullUntil.get(entryKey) ?? 0) > now;
  }

  /** @internal */
  markSlotsFull(entryKey: string, until: number): void {
    this.slotsFullUntil.set(entryKey, until);
  }

  /** @internal */
  newHolder(): string {
    return `${this.holderPrefix}.${++this.holderCount}`;
  }

  /**
   * @internal Confirms a reserved start once the handler has begun: after the microtasks of this turn, so a
   * handler reached through a few awaits (Nest's pipeline) has read its clock before the one recorded here.
   */
  confirmStart(entryKey: string, reservation: string): void {
    setImmediate(() => {
      this.store.confirmStart(entryKey, reservation, Date.now()).catch((error: Error) => {
        this.logger.warn(
          { err: error, key: entryKey },
          'could not confirm a start; its reservation holds the window until it expires',
        );
      });
    });
  }

  /** @internal */
  hold(entryKey: string, holder: string): () => void {
    let holders = this.held.get(entryKey);
    if (!holders) this.held.set(entryKey, (holders = new Set()));
    holders.add(holder);
    return () => {
      holders.delete(holder);
      if (holders.size === 0) this.held.delete(entryKey);
      this.slotsFullUntil.delete(entryKey);
      this.store.releaseSlot(entryKey, holder).catch((error: Error) => {
        this.logger.warn(
          { err: error, key: entryKey },
          'could not release a concurrency slot; its lease will expire',
        );
      });
    };
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.pauses.stop();
  }

  private startTimers(): void {
    const { slotLeaseMs } = this.settings;
    // One write per key held by this process, not one per job.
    const renew = setInterval(
      () => {
        for (const [entryKey, holders] of this.held) {
          this.store.renewSlots(entryKey, [...holders], slotLeaseMs).catch((error: Error) => {
            this.logger.warn({ err: error, key: entryKey }, 'could not renew concurrency slots');
          });
        }
      },
      Math.floor(slotLeaseMs / 3),
    );
    const prune = setInterval(() => {
      const now = Date.now();
      this.spreader.prune(now);
      for (const [key, until] of this.slotsFullUntil) if (until < now) this.slotsFullUntil.delete(key);
    }, 60_000);
    for (const timer of [renew, prune]) {
      timer.unref();
      this.timers.push(timer);
    }
  }
}

/** The limits of one subject of one consumer: decides, per delivery, whether the job may start now. */
export class SubjectAdmission {
  constructor(
    private readonly limiter: RateLimiter,
    readonly subject: string,
    readonly consumer: string,
    private readonly limits: ResolvedLimits,
  ) {}

  /** The key `ctx.pauseKey` pauses: the rate-limit key, or the concurrency key when there is no rate limit. */
  pauseKeyOf(payload: unknown): string {
    return this.limits.rate ? this.limits.rate.key(payload) : this.limits.concurrency!.key(payload);
  }

  pause(payload: unknown, ms: number, reason?: string): Promise<Date> {
    const key = this.pauseKeyOf(payload);
    return this.limiter.pauses.pause({ consumer: this.consumer, subject: this.subject, key }, ms, reason);
  }

  /** Throws only when a key function of the contract throws; store outages answer "wait a second". */
  async admit(payload: unknown, msg: JsMsg): Promise<Admission> {
    const { rate, concurrency } = this.limits;
    const rateKey = rate ? budgetKey(this.consumer, rate.key(payload)) : undefined;
    const slotKey = concurrency ? budgetKey(this.consumer, concurrency.key(payload)) : undefined;
    const deliveryCount = msg.info.deliveryCount;
    const deferredBefore =
      deliveryCount > 1 ? await this.limiter.deferrals.count(this.consumer, msg.seq).catch(() => 0) : 0;
    const refuse = (delayMs: number, reason: ThrottleReason): Admission => ({
      admitted: false,
      deferredBefore,
      delayMs: Math.max(0, Math.round(delayMs)),
      reason,
    });
    const { spreader, pauses } = this.limiter;
    const now = Date.now();
    const pausedUntil = pauses.pausedUntil(budgetKey(this.consumer, this.pauseKeyOf(payload)), now);
    if (pausedUntil) {
      if (!rateKey) return refuse(pausedUntil - now + Math.random() * 1000, 'paused');
      spreader.block(rateKey, pausedUntil);
      return refuse(spreader.nextDelay(rateKey, now, rate!.per / rate!.limit), 'paused');
    }
    // A job back a little early (see EarlyReturnMs) goes on to the store and waits there the last few ms.
    if (rateKey && spreader.blockedUntil(rateKey, now) - now > ShortWaitMs)
      return refuse(spreader.nextDelay(rateKey, now, rate!.per / rate!.limit) - EarlyReturnMs, 'rate');
    if (slotKey && this.limiter.slotsKnownFull(slotKey, now))
      return refuse(concurrencyRetryMs(deliveryCount), 'concurrency');
    try {
      return await this.take(rateKey, slotKey, deliveryCount, deferredBefore, refuse);
    } catch {
      return refuse(1000 + Math.random() * 1000, 'unavailable');
    }
  }

  private async take(
    rateKey: string | undefined,
    slotKey: string | undefined,
    deliveryCount: number,
    deferredBefore: number,
    refuse: (delayMs: number, reason: ThrottleReason) => Admission,
  ): Promise<Admission> {
    const { store, settings, spreader } = this.limiter;
    let release: (() => void) | undefined;
    if (slotKey) {
      const holder = this.limiter.newHolder();
      if (!(await store.takeSlot(slotKey, this.limits.concurrency!.limit, holder, settings.slotLeaseMs))) {
        // Later jobs of the key wait without asking the store for a moment; a local release clears this.
        this.limiter.markSlotsFull(slotKey, Date.now() + 100);
        return refuse(concurrencyRetryMs(deliveryCount), 'concurrency');
      }
      release = this.limiter.hold(slotKey, holder);
    }
    let started: (() => void) | undefined;
    if (rateKey) {
      const { limit, per } = this.limits.rate!;
      const reservation = this.limiter.newHolder();
      let taken: Awaited<ReturnType<KeyBudgetStore['takeStart']>>;
      try {
        taken = await store.takeStart(rateKey, limit, per, reservation);
        if (!taken.admitted && taken.freeAt - Date.now() <= ShortWaitMs) {
          // About to free: waiting here beats a round trip through the stream, which comes back late.
          await sleep(Math.max(0, taken.freeAt - Date.now()) + 1);
          taken = await store.takeStart(rateKey, limit, per, reservation);
        }
      } catch (error) {
        release?.();
        throw error;
      }
      if (!taken.admitted) {
        release?.();
        spreader.block(rateKey, taken.freeAt);
        return refuse(spreader.nextDelay(rateKey, Date.now(), per / limit) - EarlyReturnMs, 'rate');
      }
      started = () => this.limiter.confirmStart(rateKey, reservation);
    }
    return { admitted: true, deferredBefore, started, release };
  }
}
