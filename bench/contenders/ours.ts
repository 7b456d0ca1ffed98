import { connect } from 'nats';
import {
  JetStreamPublisher,
  OutboxRelayService,
  ServiceConfigSchema,
  startService,
  type RunningService,
} from '@lib/jetstream';
import type { ContractMap } from '@lib/contracts';
import { Module, type DynamicModule } from '@nestjs/common';
import {
  BenchModule,
  benchPayload,
  CriticalSubject,
  DelayedContracts,
  LimitedNoopContracts,
  NoopContracts,
  NoopSubject,
  PriorityContracts,
  SlowContracts,
  type BenchSink,
} from '../lib/bench-app';
import { parentSays, readyThenWaitForGo } from '../lib/ipc';
import {
  CountingSink,
  CriticalSink,
  epochMs,
  LatencySink,
  Meter,
  percentiles,
  sleep,
  waitUntil,
  within,
} from '../lib/measure';
import { runLatencyProducer, runTicker } from '../lib/producer';
import { EnqueueWindow, type RunResult, type RunSpec } from '../lib/settings';

/** Our runtime as a service runs it: `startService`, one Nest provider, default slots and window. */
export async function run(spec: RunSpec): Promise<RunResult> {
  switch (spec.workload) {
    case 'enqueue':
      return enqueue(spec);
    case 'process':
      return processJobs(spec);
    case 'latency':
      return latency(spec);
    case 'priority':
      return priority(spec);
    case 'delayed':
      return delayed(spec);
    case 'replicas':
      return replica(spec);
    case 'outbox': {
      // Loaded only here, so the other workloads' processes hold exactly what they held before.
      const { measureOutboxLatency } = await import('../lib/outbox-probe');
      return measureOutboxLatency(spec.natsUrl, spec.databaseUrl, spec.settings.outbox, spec.brokerPids);
    }
    case 'export':
      throw new Error('the export workload runs bench/export-group.ts, not a contender');
  }
}

function start(spec: RunSpec, module: DynamicModule, contracts: ContractMap): Promise<RunningService> {
  return startService({
    name: 'bench',
    module,
    configSchema: ServiceConfigSchema,
    contracts,
    env: {
      NATS_URL: spec.natsUrl,
      DATABASE_URL: spec.databaseUrl,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      // BENCH_LOG_LEVEL=warn shows why a run of ours went wrong.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
      // Status rows for 100k no-op jobs are the cost `trackStatus: false` exists to avoid; the `ours+statuses`
      // contender measures it, against a migrated database of its own.
      JOB_STATUSES: spec.jobStatuses ? 'true' : 'false',
    },
  });
}

/** The publisher a web app would use: validates with zod, sets the CloudEvents headers, awaits the PubAck. */
async function enqueue(spec: RunSpec): Promise<RunResult> {
  // Connected as `startService` connects every app (no per-request Error objects for async stack traces).
  const nc = await connect({ servers: spec.natsUrl, name: 'bench-ours-enqueue', noAsyncTraces: true });
  try {
    const publisher = new JetStreamPublisher(nc.jetstream(), NoopContracts, 'urn:loomio-workers:bench');
    const total = spec.settings.jobs;
    const meter = new Meter(spec.brokerPids);
    global.gc?.();
    meter.begin();
    for (let begin = 0; begin < total; begin += EnqueueWindow) {
      const chunk: Promise<unknown>[] = [];
      for (let n = begin; n < Math.min(total, begin + EnqueueWindow); n++)
        chunk.push(publisher.publish(NoopSubject, benchPayload(n)));
      await Promise.all(chunk);
    }
    meter.end();
    return meter.result(total);
  } finally {
    await nc.drain().catch(() => undefined);
  }
}

async function processJobs(spec: RunSpec): Promise<RunResult> {
  const total = spec.settings.jobs;
  const meter = new Meter(spec.brokerPids);
  const sink = new CountingSink(total, meter);
  global.gc?.();
  const contracts = spec.contender === 'ours+limit' ? LimitedNoopContracts : NoopContracts;
  const service = await start(spec, BenchModule.noop({ noop: () => sink.hit() }), contracts);
  try {
    await within(sink.done, 120_000, () => `${sink.count}/${total} jobs processed`);
    return meter.result(total, {}, total - 1);
  } finally {
    await service.stop();
  }
}

async function latency(spec: RunSpec): Promise<RunResult> {
  const { ratePerSec, durationMs, warmupMs } = spec.settings.latency;
  const total = Math.round((ratePerSec * durationMs) / 1000);
  const sink = new LatencySink(total, Math.round((ratePerSec * warmupMs) / 1000));
  const service = await start(
    spec,
    BenchModule.noop({ noop: (job) => sink.hit(job.n, job.at!) }),
    NoopContracts,
  );
  try {
    const meter = new Meter(spec.brokerPids);
    global.gc?.();
    meter.begin();
    await runLatencyProducer(total, ratePerSec, (n) =>
      service.publisher.publish(NoopSubject, benchPayload(n, performance.now())),
    );
    await within(sink.done, 30_000, () => `${sink.count}/${total} jobs arrived`);
    meter.end();
    return meter.result(total, { latency: percentiles(sink.samples) });
  } finally {
    await service.stop();
  }
}

async function priority(spec: RunSpec): Promise<RunResult> {
  const lowTotal = spec.settings.jobs;
  const { criticalEveryMs, lowJobMs, minCriticals } = spec.settings.priority;
  const criticals = new CriticalSink(spec.settings.priority);
  const meter = new Meter(spec.brokerPids);
  const lows = new CountingSink(lowTotal, meter);
  let serviceStarted!: (service: RunningService) => void;
  const ready = new Promise<RunningService>((resolve) => (serviceStarted = resolve));
  let ticker: Promise<number> | undefined;
  const sink: BenchSink = {
    critical: (job) => criticals.hit(job.n, job.at!),
    low: async () => {
      // The first low job opens the window: from now on a critical job arrives every 100 ms.
      if (lows.count === 0) {
        ticker = runTicker(
          criticalEveryMs,
          // The runtime may deliver before startService has returned: the first send waits for it.
          (n) => ready.then((s) => s.publisher.publish(CriticalSubject, benchPayload(n, performance.now()))),
          (sent) => lows.count >= lowTotal && sent >= criticals.warmupJobs + minCriticals,
        );
      }
      lows.hit();
      await sleep(lowJobMs);
    },
  };
  global.gc?.();
  const service = await start(spec, BenchModule.priority(sink), PriorityContracts);
  serviceStarted(service);
  try {
    await within(lows.done, 300_000, () => `${lows.count}/${lowTotal} low jobs processed`);
    const sent = await within(ticker!, 30_000, () => 'critical ticker did not stop');
    await within(
      waitUntil(() => criticals.received >= sent),
      30_000,
      () => `${criticals.received}/${sent} critical jobs`,
    );
    const result = meter.result(lowTotal, { critical: percentiles(criticals.waits) }, lowTotal - 1);
    return { ...result, lowRate: result.rate };
  } finally {
    await service.stop();
  }
}

/**
 * The relay exactly as the scheduler runs it (`OutboxRelayService`, default settings, woken by NOTIFY) and
 * the worker in one service: the orchestrator fills the outbox once both are up, and every due job's start
 * is compared with its `deliver_at`.
 */
async function delayed(spec: RunSpec): Promise<RunResult> {
  const { due } = spec.settings.delayed;
  const meter = new Meter(spec.brokerPids);
  const sink = new CountingSink(due, meter);
  const lateness: number[] = [];
  const seen = new Set<number>();
  let duplicates = 0;
  const handlers = BenchModule.delayed({
    delayed: (job) => {
      lateness.push(epochMs() - job.at!);
      if (seen.has(job.n)) duplicates++;
      else seen.add(job.n);
      sink.hit();
    },
  });
  @Module({ imports: [handlers], providers: [OutboxRelayService] })
  class RelayAndWorkerModule {}
  global.gc?.();
  const service = await start(spec, { module: RelayAndWorkerModule }, DelayedContracts);
  try {
    await readyThenWaitForGo();
    const { windowMs, leadMs } = spec.settings.delayed;
    await within(sink.done, leadMs + windowMs + 300_000, () => `${sink.count}/${due} due jobs started`);
    return meter.result(due, { lateness: percentiles(lateness), duplicates });
  } finally {
    await service.stop();
  }
}

/**
 * One of N worker processes of the same app (so one durable consumer): handles jobs that wait 50 ms and
 * records which ones it saw, until the orchestrator says the stream is empty.
 */
async function replica(spec: RunSpec): Promise<RunResult> {
  const { jobMs } = spec.settings.replicas;
  const meter = new Meter(spec.brokerPids);
  const handled: number[] = [];
  let firstAtMs: number | undefined;
  let lastAtMs: number | undefined;
  let redelivered = 0;
  const sink: BenchSink = {
    slow: async (job, attempt) => {
      const now = epochMs();
      if (firstAtMs === undefined) {
        firstAtMs = now;
        meter.begin();
      }
      lastAtMs = now;
      handled.push(job.n);
      if (attempt > 1) redelivered++;
      await sleep(jobMs);
    },
  };
  global.gc?.();
  const service = await start(spec, BenchModule.slow(sink), SlowContracts);
  try {
    await readyThenWaitForGo();
    await parentSays('stop');
    meter.end();
    const result = meter.result(handled.length);
    return { ...result, handled, firstAtMs, lastAtMs, redelivered };
  } finally {
    await service.stop();
  }
}
