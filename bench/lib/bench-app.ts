import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { z } from 'zod';
import { contractMap, defineJob } from '@lib/contracts';
import type { JobContext } from '@lib/jetstream';
import { JobBytes } from './settings';

// Deliberately not importing @lib/jetstream (only its types, erased at compile time): the BullMQ child uses
// these handlers too and should not pay for (or be measured with) NATS, TypeORM and the rest of our runtime.

export const NoopSubject = 'jobs.bench.noop';
export const CriticalSubject = 'jobs.bench.critical';
export const LowSubject = 'jobs.bench.low';
/** Delayed workload: `at` is the job's due time (epoch ms). */
export const DelayedSubject = 'jobs.bench.delayed';
/** Replicas workload: a job that waits `BENCH_REPLICA_JOB_MS` (50 ms), standing in for I/O. */
export const SlowSubject = 'jobs.bench.slow';

export const BenchPayloadSchema = z.object({
  n: z.number().int().nonnegative(),
  /** `performance.now()` of the sender, for latency runs (sender and worker share the process). */
  at: z.number().optional(),
  /** Filler so the JSON body is exactly 128 bytes. */
  pad: z.string().optional(),
});
export type BenchPayload = z.infer<typeof BenchPayloadSchema>;

const options = { maxAttempts: 3 };

export const NoopContracts = contractMap(
  defineJob({
    subject: NoopSubject,
    schema: BenchPayloadSchema,
    description: 'benchmark no-op job',
    options,
  }),
);

/**
 * The no-op job with a rate limit it never reaches (process workload, contender `ours+limit`): 1,000 keys of
 * 10,000 starts per second each, so every job goes through the cluster-wide admission (a compare-and-set on
 * its key's budget in NATS KV) and none waits.
 */
export const LimitedNoopContracts = contractMap(
  defineJob({
    subject: NoopSubject,
    schema: BenchPayloadSchema,
    description: 'benchmark no-op job under a rate limit it never reaches',
    options: {
      ...options,
      rateLimit: { key: (job: BenchPayload) => `key-${job.n % 1000}`, limit: 10_000, per: 1000 },
    },
  }),
);

export const PriorityContracts = contractMap(
  defineJob({
    subject: CriticalSubject,
    schema: BenchPayloadSchema,
    description: 'benchmark critical job',
    options: { ...options, priority: 'critical' },
  }),
  defineJob({
    subject: LowSubject,
    schema: BenchPayloadSchema,
    description: 'benchmark low-priority job',
    options: { ...options, priority: 'low' },
  }),
);

export const DelayedContracts = contractMap(
  defineJob({
    subject: DelayedSubject,
    schema: BenchPayloadSchema,
    description: 'benchmark delayed job',
    options,
  }),
);

export const SlowContracts = contractMap(
  defineJob({
    subject: SlowSubject,
    schema: BenchPayloadSchema,
    description: 'benchmark job that waits 50 ms',
    options,
  }),
);

/** A job whose JSON body is exactly `JobBytes` long. */
export function benchPayload(n: number, at?: number): BenchPayload {
  const payload: BenchPayload = at === undefined ? { n, pad: '' } : { n, at, pad: '' };
  payload.pad = 'x'.repeat(Math.max(0, JobBytes - JSON.stringify(payload).length));
  return payload;
}

/** Where the handlers report to; each run plugs in the sink it measures with. */
export interface BenchSink {
  noop?(job: BenchPayload): void;
  critical?(job: BenchPayload): void;
  low?(job: BenchPayload): Promise<void> | void;
  delayed?(job: BenchPayload): void;
  /** `attempt` > 1 means a redelivery. */
  slow?(job: BenchPayload, attempt: number): Promise<void>;
}

export const BENCH_SINK = Symbol('BENCH_SINK');

@Injectable()
export class NoopHandler {
  constructor(@Inject(BENCH_SINK) private readonly sink: BenchSink) {}

  @EventPattern(NoopSubject)
  noop(job: BenchPayload): void {
    this.sink.noop!(job);
  }
}

@Injectable()
export class PriorityHandlers {
  constructor(@Inject(BENCH_SINK) private readonly sink: BenchSink) {}

  @EventPattern(CriticalSubject)
  critical(job: BenchPayload): void {
    this.sink.critical!(job);
  }

  @EventPattern(LowSubject)
  low(job: BenchPayload): Promise<void> | void {
    return this.sink.low!(job);
  }
}

@Injectable()
export class DelayedHandler {
  constructor(@Inject(BENCH_SINK) private readonly sink: BenchSink) {}

  @EventPattern(DelayedSubject)
  delayed(job: BenchPayload): void {
    this.sink.delayed!(job);
  }
}

@Injectable()
export class SlowHandler {
  constructor(@Inject(BENCH_SINK) private readonly sink: BenchSink) {}

  @EventPattern(SlowSubject)
  slow(job: BenchPayload, ctx: JobContext): Promise<void> {
    return this.sink.slow!(job, ctx.attempt);
  }
}

@Module({})
export class BenchModule {
  static noop(sink: BenchSink): DynamicModule {
    return {
      module: BenchModule,
      providers: [NoopHandler, { provide: BENCH_SINK, useValue: sink }],
      exports: [NoopHandler],
    };
  }

  static priority(sink: BenchSink): DynamicModule {
    return {
      module: BenchModule,
      providers: [PriorityHandlers, { provide: BENCH_SINK, useValue: sink }],
      exports: [PriorityHandlers],
    };
  }

  static delayed(sink: BenchSink): DynamicModule {
    return {
      module: BenchModule,
      providers: [DelayedHandler, { provide: BENCH_SINK, useValue: sink }],
      exports: [DelayedHandler],
    };
  }

  static slow(sink: BenchSink): DynamicModule {
    return {
      module: BenchModule,
      providers: [SlowHandler, { provide: BENCH_SINK, useValue: sink }],
      exports: [SlowHandler],
    };
  }
}
