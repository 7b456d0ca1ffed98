import { z } from 'zod';

/** The services of the monorepo; each owns the `jobs.<service>.*` subjects and consumes the events it lists. */
export const AppNames = ['scheduler', 'notifier', 'poller', 'exporter', 'janitor', 'dashboard'] as const;
export type AppName = (typeof AppNames)[number];

/** Sidekiq's queue weights: a free slot picks a priority with this probability share. */
export const PriorityWeights = { critical: 10, high: 6, default: 3, low: 1 } as const;
export type Priority = keyof typeof PriorityWeights;

export type BackoffPolicy =
  /** `attempt^4 + 15 + rand(10) * (attempt + 1)` seconds, as Sidekiq does, capped at `maxDelayMs`. */
  | { type: 'sidekiq'; maxDelayMs?: number }
  | { type: 'exponential'; initialDelayMs: number; maxDelayMs?: number }
  | { type: 'fixed'; delayMs: number };

export interface UniquenessOptions<P> {
  /** A stable key derived from the payload; two jobs with the same key are one job while the first is pending. */
  // Method syntax on purpose: a contract for a specific payload must still fit the generic `Contract` type.
  key(payload: P): string;
  /** How long the lock may live if the job is never executed (a lost message must not block forever). */
  ttlMs: number;
  /** `reject` throws a DuplicateJobError at enqueue; `drop` returns quietly without publishing. */
  onConflict: 'reject' | 'drop';
}

/**
 * A sliding-window budget shared by every replica of every app: at most `limit` jobs of one key start in any
 * `per` ms. A job over the budget is not failed: it waits (attempt not spent) until a start frees up.
 */
export interface RateLimitOptions<P> {
  /** Which jobs share a budget, e.g. the chatbot id; return a constant for one budget for the whole subject. */
  key(payload: P): string;
  limit: number;
  /** Length of the sliding window, in ms. */
  per: number;
}

/** At most `limit` jobs of one key run at once across the cluster; a slot is leased, so a dead worker frees it. */
export interface ConcurrencyPerKeyOptions<P> {
  key(payload: P): string;
  limit: number;
}

export interface ProcessingOptions<P = unknown> {
  priority: Priority;
  /** Deliveries in all, the first one included. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** The handler's `signal` aborts after this long and the attempt fails. */
  timeoutMs?: number;
  /** Cluster-wide cap on jobs of this subject in flight at once (the consumer's `max_ack_pending`). */
  concurrency?: number;
  unique?: UniquenessOptions<P>;
  rateLimit?: RateLimitOptions<P>;
  concurrencyPerKey?: ConcurrencyPerKeyOptions<P>;
  /** `false` keeps this subject out of `job_statuses` (high-volume jobs nobody looks up); default true. */
  trackStatus?: boolean;
}

interface ContractCommon<S extends z.ZodType> {
  subject: string;
  schema: S;
  description: string;
  options: ProcessingOptions<z.infer<S>>;
}

export interface EventContract<S extends z.ZodType = z.ZodType> extends ContractCommon<S> {
  kind: 'event';
  /** Services with a durable consumer on this event; each gets every event. */
  consumers: readonly string[];
}

export interface JobContract<S extends z.ZodType = z.ZodType> extends ContractCommon<S> {
  kind: 'job';
  /** The one service whose workers run this job (the `<service>` of `jobs.<service>.<verb-noun>`). */
  service: string;
}

export type Contract<S extends z.ZodType = z.ZodType> = EventContract<S> | JobContract<S>;
export type ContractMap = Readonly<Record<string, Contract>>;
export type PayloadOf<C> = C extends Contract<infer S> ? z.infer<S> : never;

export const DefaultProcessingOptions: ProcessingOptions = {
  priority: 'default',
  maxAttempts: 25,
  backoff: { type: 'sidekiq', maxDelayMs: 24 * 3600_000 },
};

const EventSubject = /^events\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/;
const JobSubject = /^jobs\.([a-z][a-z0-9-]*)\.[a-z][a-z0-9-]*$/;

type Options<S extends z.ZodType> = Partial<ProcessingOptions<z.infer<S>>>;

export function defineEvent<const Subject extends string, S extends z.ZodType>(def: {
  subject: Subject;
  schema: S;
  description: string;
  consumers?: readonly string[];
  options?: Options<S>;
}): EventContract<S> & { subject: Subject } {
  if (!EventSubject.test(def.subject)) {
    throw new Error(`Event subject "${def.subject}" must look like events.<aggregate>.<past-tense-verb>`);
  }
  return {
    kind: 'event',
    subject: def.subject,
    schema: def.schema,
    description: def.description,
    consumers: def.consumers ?? [],
    options: validatedOptions(def.subject, def.options),
  };
}

export function defineJob<const Subject extends string, S extends z.ZodType>(def: {
  subject: Subject;
  schema: S;
  description: string;
  options?: Options<S>;
}): JobContract<S> & { subject: Subject } {
  const match = JobSubject.exec(def.subject);
  if (!match) throw new Error(`Job subject "${def.subject}" must look like jobs.<service>.<verb-noun>`);
  return {
    kind: 'job',
    subject: def.subject,
    schema: def.schema,
    description: def.description,
    service: match[1],
    options: validatedOptions(def.subject, def.options),
  };
}

function validatedOptions<P>(
  subject: string,
  options: Partial<ProcessingOptions<P>> = {},
): ProcessingOptions<P> {
  const merged = { ...(DefaultProcessingOptions as ProcessingOptions<P>), ...options };
  if (!Number.isInteger(merged.maxAttempts) || merged.maxAttempts < 1) {
    throw new Error(`${subject}: maxAttempts must be a positive integer`);
  }
  if (merged.timeoutMs !== undefined && merged.timeoutMs <= 0)
    throw new Error(`${subject}: timeoutMs must be > 0`);
  if (merged.concurrency !== undefined && (!Number.isInteger(merged.concurrency) || merged.concurrency < 1)) {
    throw new Error(`${subject}: concurrency must be a positive integer`);
  }
  const { rateLimit, concurrencyPerKey } = merged;
  if (rateLimit) assertRateLimit(subject, rateLimit.limit, rateLimit.per);
  if (concurrencyPerKey && (!Number.isInteger(concurrencyPerKey.limit) || concurrencyPerKey.limit < 1)) {
    throw new Error(`${subject}: concurrencyPerKey.limit must be a positive integer`);
  }
  return merged;
}

/** Shared with the runtime's per-app overrides, so both refuse the same nonsense. */
export function assertRateLimit(subject: string, limit: number, per: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new Error(`${subject}: rateLimit.limit must be an integer from 1 to 10000`);
  // Windows live in a KV bucket whose entries expire after a day.
  if (!Number.isInteger(per) || per < 1 || per > 24 * 3600_000)
    throw new Error(`${subject}: rateLimit.per must be an integer number of ms, at most a day`);
}

/** Builds the subject -> contract map, refusing a subject declared twice. */
export function contractMap<const C extends readonly Contract[]>(
  ...contracts: C
): { readonly [K in C[number] as K['subject']]: K } {
  const map: Record<string, Contract> = {};
  for (const c of contracts) {
    if (map[c.subject]) throw new Error(`Subject ${c.subject} is declared twice`);
    map[c.subject] = c;
  }
  return Object.freeze(map) as never;
}

/** The subjects a service must handle: its own jobs and the events it consumes. */
export function subjectsHandledBy(contracts: ContractMap, app: string): Contract[] {
  return Object.values(contracts).filter((c) =>
    c.kind === 'job' ? c.service === app : c.consumers.includes(app),
  );
}
