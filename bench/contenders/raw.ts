import { connect, type JsMsg, type NatsConnection } from 'nats';
import { benchPayload, type BenchPayload } from '../lib/bench-app';
import { CountingSink, LatencySink, Meter, percentiles, within } from '../lib/measure';
import { runLatencyProducer } from '../lib/producer';
import { EnqueueWindow, type RunResult, type RunSpec } from '../lib/settings';

/** The ceiling: nats.js used directly, no envelope, no validation, no Nest. */
export async function run(spec: RunSpec): Promise<RunResult> {
  // Its fastest mode: without an Error object built per request for async stack traces.
  const nc = await connect({
    servers: spec.natsUrl,
    name: `bench-raw-${spec.workload}`,
    noAsyncTraces: true,
  });
  try {
    switch (spec.workload) {
      case 'enqueue':
        return await enqueue(nc, spec);
      case 'process':
        return await processJobs(nc, spec);
      case 'latency':
        return await latency(nc, spec);
      default:
        throw new Error(`raw does not take part in ${spec.workload}`);
    }
  } finally {
    await nc.drain().catch(() => undefined);
  }
}

async function enqueue(nc: NatsConnection, spec: RunSpec): Promise<RunResult> {
  const js = nc.jetstream();
  const { subject } = spec.raw;
  const total = spec.settings.jobs;
  const meter = new Meter(spec.brokerPids);
  global.gc?.();
  meter.begin();
  for (let start = 0; start < total; start += EnqueueWindow) {
    const chunk: Promise<unknown>[] = [];
    for (let n = start; n < Math.min(total, start + EnqueueWindow); n++)
      chunk.push(js.publish(subject, JSON.stringify(benchPayload(n))));
    await Promise.all(chunk);
  }
  meter.end();
  return meter.result(total);
}

const decoder = new TextDecoder();

/** The fastest way nats.js offers: `consume()` with a callback (an iterator defeats ack batching). */
async function consume(nc: NatsConnection, spec: RunSpec, onJob: (job: BenchPayload) => void) {
  const consumer = await nc.jetstream().consumers.get(spec.raw.stream, spec.raw.durable);
  return consumer.consume({
    max_messages: 1000,
    callback: (msg: JsMsg) => {
      onJob(JSON.parse(decoder.decode(msg.data)) as BenchPayload);
      msg.ack();
    },
  });
}

async function processJobs(nc: NatsConnection, spec: RunSpec): Promise<RunResult> {
  const total = spec.settings.jobs;
  const meter = new Meter(spec.brokerPids);
  const sink = new CountingSink(total, meter);
  global.gc?.();
  const messages = await consume(nc, spec, () => sink.hit());
  await within(sink.done, 120_000, () => `${sink.count}/${total} jobs processed`);
  messages.stop();
  return meter.result(total, {}, total - 1);
}

async function latency(nc: NatsConnection, spec: RunSpec): Promise<RunResult> {
  const js = nc.jetstream();
  const { ratePerSec, durationMs, warmupMs } = spec.settings.latency;
  const total = Math.round((ratePerSec * durationMs) / 1000);
  const sink = new LatencySink(total, Math.round((ratePerSec * warmupMs) / 1000));
  const messages = await consume(nc, spec, (job) => sink.hit(job.n, job.at!));
  const meter = new Meter(spec.brokerPids);
  global.gc?.();
  meter.begin();
  await runLatencyProducer(total, ratePerSec, (n) =>
    js.publish(spec.raw.subject, JSON.stringify(benchPayload(n, performance.now()))),
  );
  await within(sink.done, 30_000, () => `${sink.count}/${total} jobs arrived`);
  meter.end();
  messages.stop();
  return meter.result(total, { latency: percentiles(sink.samples) });
}
