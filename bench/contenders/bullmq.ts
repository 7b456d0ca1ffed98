import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker, type Job } from 'bullmq';
import {
  BenchModule,
  benchPayload,
  DelayedHandler,
  NoopHandler,
  PriorityHandlers,
  type BenchPayload,
  type BenchSink,
} from '../lib/bench-app';
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
import { readyThenWaitForGo } from '../lib/ipc';
import { runLatencyProducer, runTicker } from '../lib/producer';
import {
  BullConcurrency,
  BullJobOptions,
  BullPriorities,
  EnqueueWindow,
  type RunResult,
  type RunSpec,
} from '../lib/settings';

/**
 * BullMQ as an experienced BullMQ user would run it: a Queue to add, a Worker with concurrency 50 whose
 * processor calls a Nest provider (as @nestjs/bullmq does), completed jobs removed.
 */
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
    default:
      throw new Error(`BullMQ does not take part in ${spec.workload}`);
  }
}

function connection(spec: RunSpec) {
  return { ...spec.redis, maxRetriesPerRequest: null };
}

function queueOf(spec: RunSpec): Queue {
  return new Queue(spec.queue, { connection: connection(spec), prefix: spec.bullPrefix });
}

async function startWorker(
  spec: RunSpec,
  processor: (job: Job<BenchPayload>) => Promise<unknown>,
): Promise<Worker<BenchPayload>> {
  const worker = new Worker<BenchPayload>(spec.queue, processor, {
    connection: connection(spec),
    prefix: spec.bullPrefix,
    concurrency: BullConcurrency,
    autorun: false,
  });
  worker.on('error', (error) => process.stderr.write(`bullmq worker: ${error.message}\n`));
  await worker.waitUntilReady();
  void worker.run();
  return worker;
}

async function enqueue(spec: RunSpec): Promise<RunResult> {
  const queue = queueOf(spec);
  try {
    await queue.waitUntilReady();
    const total = spec.settings.jobs;
    const bulk = spec.contender === 'bullmq-bulk';
    const meter = new Meter(spec.brokerPids);
    global.gc?.();
    meter.begin();
    for (let begin = 0; begin < total; begin += EnqueueWindow) {
      const end = Math.min(total, begin + EnqueueWindow);
      if (bulk) {
        const jobs = [];
        for (let n = begin; n < end; n++)
          jobs.push({ name: 'noop', data: benchPayload(n), opts: BullJobOptions });
        await queue.addBulk(jobs);
      } else {
        const chunk: Promise<unknown>[] = [];
        for (let n = begin; n < end; n++) chunk.push(queue.add('noop', benchPayload(n), BullJobOptions));
        await Promise.all(chunk);
      }
    }
    meter.end();
    return meter.result(total);
  } finally {
    await queue.close();
  }
}

async function nestContext(module: DynamicModule) {
  return NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
}

async function processJobs(spec: RunSpec): Promise<RunResult> {
  const total = spec.settings.jobs;
  const meter = new Meter(spec.brokerPids);
  const sink = new CountingSink(total, meter);
  const app = await nestContext(BenchModule.noop({ noop: () => sink.hit() }));
  const handler = app.get(NoopHandler);
  global.gc?.();
  const worker = await startWorker(spec, async (job) => handler.noop(job.data));
  try {
    await within(sink.done, 300_000, () => `${sink.count}/${total} jobs processed`);
    return meter.result(total, {}, total - 1);
  } finally {
    await worker.close();
    await app.close();
  }
}

async function latency(spec: RunSpec): Promise<RunResult> {
  const { ratePerSec, durationMs, warmupMs } = spec.settings.latency;
  const total = Math.round((ratePerSec * durationMs) / 1000);
  const sink = new LatencySink(total, Math.round((ratePerSec * warmupMs) / 1000));
  const app = await nestContext(BenchModule.noop({ noop: (job) => sink.hit(job.n, job.at!) }));
  const handler = app.get(NoopHandler);
  const worker = await startWorker(spec, async (job) => handler.noop(job.data));
  const queue = queueOf(spec);
  try {
    await queue.waitUntilReady();
    const meter = new Meter(spec.brokerPids);
    global.gc?.();
    meter.begin();
    await runLatencyProducer(total, ratePerSec, (n) =>
      queue.add('noop', benchPayload(n, performance.now()), BullJobOptions),
    );
    await within(sink.done, 30_000, () => `${sink.count}/${total} jobs arrived`);
    meter.end();
    return meter.result(total, { latency: percentiles(sink.samples) });
  } finally {
    await worker.close();
    await queue.close();
    await app.close();
  }
}

async function priority(spec: RunSpec): Promise<RunResult> {
  const lowTotal = spec.settings.jobs;
  const { criticalEveryMs, lowJobMs, minCriticals } = spec.settings.priority;
  const criticals = new CriticalSink(spec.settings.priority);
  const meter = new Meter(spec.brokerPids);
  const lows = new CountingSink(lowTotal, meter);
  const queue = queueOf(spec);
  await queue.waitUntilReady();
  let ticker: Promise<number> | undefined;
  const sink: BenchSink = {
    critical: (job) => criticals.hit(job.n, job.at!),
    low: async () => {
      if (lows.count === 0) {
        ticker = runTicker(
          criticalEveryMs,
          (n) =>
            queue.add('critical', benchPayload(n, performance.now()), {
              ...BullJobOptions,
              priority: BullPriorities.critical,
            }),
          (sent) => lows.count >= lowTotal && sent >= criticals.warmupJobs + minCriticals,
        );
      }
      lows.hit();
      await sleep(lowJobMs);
    },
  };
  const app = await nestContext(BenchModule.priority(sink));
  const handlers = app.get(PriorityHandlers);
  global.gc?.();
  const worker = await startWorker(spec, async (job) =>
    job.name === 'critical' ? handlers.critical(job.data) : handlers.low(job.data),
  );
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
    await worker.close();
    await queue.close();
    await app.close();
  }
}

/**
 * A Worker up before the orchestrator adds the jobs with `delay` (each due at its `at`); BullMQ's worker
 * promotes delayed jobs itself, so no other process is involved.
 */
async function delayed(spec: RunSpec): Promise<RunResult> {
  const { due, windowMs, leadMs } = spec.settings.delayed;
  const meter = new Meter(spec.brokerPids);
  const sink = new CountingSink(due, meter);
  const lateness: number[] = [];
  const seen = new Set<number>();
  let duplicates = 0;
  const app = await nestContext(
    BenchModule.delayed({
      delayed: (job) => {
        lateness.push(epochMs() - job.at!);
        if (seen.has(job.n)) duplicates++;
        else seen.add(job.n);
        sink.hit();
      },
    }),
  );
  const handler = app.get(DelayedHandler);
  global.gc?.();
  const worker = await startWorker(spec, async (job) => handler.delayed(job.data));
  try {
    await readyThenWaitForGo();
    await within(sink.done, leadMs + windowMs + 300_000, () => `${sink.count}/${due} due jobs started`);
    return meter.result(due, { lateness: percentiles(lateness), duplicates });
  } finally {
    await worker.close();
    await app.close();
  }
}
