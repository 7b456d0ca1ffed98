import { Compiled, RepoRoot } from './paths';
import 'reflect-metadata';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import {
  createMigratedTestDatabase,
  NATS_SERVER_BINARY,
  startNatsServer,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { DefaultOutboxRelaySettings, Streams } from '@lib/jetstream';
import type { ChildMessage } from './child';
import { LowSubject, NoopSubject, SlowSubject } from './lib/bench-app';
import {
  bullBacklog,
  bullQueue,
  deleteBullPrefix,
  deleteStream,
  freshJobsStream,
  freshRawStream,
  preloadBull,
  preloadNats,
  publishJobs,
  redisInfo,
  waitForEmptyStream,
  type RedisTarget,
} from './lib/brokers';
import { loadBull, loadOutbox, outboxRows } from './lib/delayed-load';
import { forkExportBenchmark } from './lib/export-run';
import { countJobStatuses, emptyJobStatuses } from './lib/job-statuses';
import type { ParentMessage } from './lib/ipc';
import { sleep } from './lib/measure';
import { variantNotes, workloadTable, workloadTitle, type RunsByContender } from './lib/report';
import {
  benchBuilds,
  benchSettings,
  BullPriorities,
  ContendersOf,
  DefaultWorkloads,
  replicasOf,
  Workloads,
  type BenchSettings,
  type ContenderName,
  type RunResult,
  type RunSpec,
  type WorkloadName,
} from './lib/settings';

/**
 * `npm run bench [-- <workload>...]`: starts a private nats-server, uses the local Redis for BullMQ, and for
 * each workload runs every contender once per round in a fresh child process, rotating their order each
 * round, so client and brokers sharing two cores hurt every contender alike. Prints one table per workload
 * and a markdown report (also written to BENCH_REPORT when set).
 *
 * Environment (BENCHMARKS.md has the table): BENCH_SCALE (default 1) shrinks every count, BENCH_ROUNDS
 * (per workload: settings.ts DefaultRounds), BENCH_LOW_JOB_MS (5),
 * BENCH_MAX_LOAD (wait until the 1-minute load average is below it, up to BENCH_LOAD_WAIT_S = 600 s),
 * REDIS_HOST / REDIS_PORT (127.0.0.1:6379), TEST_DATABASE_URL (only our service's health check uses it),
 * BENCH_CHILD_FLAGS (extra node flags for the measured processes, e.g. `--cpu-prof --cpu-prof-dir=DIR`),
 * BENCH_CONTENDERS (comma-separated subset, e.g. `raw,ours`, for profiling), BENCH_DELAYED_LEAD_MS (delayed:
 * from the start of loading the due jobs to the first due time), BENCH_REPLICA_JOB_MS (replicas: 50 ms),
 * BENCH_BUILDS (label=/other/checkout,…: ours as compiled there joins the process workload as `build:<label>`;
 *   a label ending in `+statuses` runs that build with job statuses on),
 * BENCH_EXPORT_ROWS / BENCH_EXPORT_BODY (export workload).
 */

const ChildTimeoutMs = 10 * 60_000;

interface Context {
  settings: BenchSettings;
  nats: NatsServerHandle;
  nc: NatsConnection;
  jsm: JetStreamManager;
  redis: RedisTarget;
  redisPid?: number;
  bullPrefix: string;
  databaseUrl: string;
  /** Checkouts whose compiled bench runs as `build:<label>` (BENCH_BUILDS). */
  builds: Map<string, string>;
  /** The process workload's private migrated database for `ours+statuses`, created on first use. */
  statusDatabase?: TestDatabase;
}

const liveChildren = new Set<ChildProcess>();

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: npm run bench [-- ${Workloads.join('|')} ...]\n`);
    return 0;
  }
  const unknown = args.filter((a) => !(Workloads as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown workload(s) ${unknown.join(', ')}; choose from ${Workloads.join(', ')}\n`);
    return 2;
  }
  const selected = args.length > 0 ? Workloads.filter((w) => args.includes(w)) : [...DefaultWorkloads];
  const settings = benchSettings();
  // The relay's own default, whatever libs/jetstream says today: reported in the delayed workload's title.
  settings.delayed.relayBatchSize = DefaultOutboxRelaySettings.batchSize;
  const loadBefore = await waitForQuietMachine();

  const redis: RedisTarget = {
    host: process.env.REDIS_HOST ?? '127.0.0.1',
    port: Number(process.env.REDIS_PORT ?? 6379),
  };
  const redisServer = await redisInfo(redis);
  if (!redisServer)
    throw new Error(`Redis is not reachable at ${redis.host}:${redis.port} (BullMQ needs it)`);

  const startedAt = Date.now();
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url, name: 'bench-orchestrator' });
  const ctx: Context = {
    settings,
    nats,
    nc,
    jsm: await nc.jetstreamManager(),
    redis,
    redisPid: redisServer.pid,
    bullPrefix: `bench-${process.pid}-${startedAt.toString(36)}`,
    databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    builds: benchBuilds(),
  };
  for (const [label, dir] of ctx.builds)
    if (!existsSync(buildChild(dir)))
      throw new Error(
        `BENCH_BUILDS ${label}: no ${buildChild(dir)} (run \`npx tsc -p bench/tsconfig.json\` there)`,
      );
  const tables: string[] = [];
  let failed = 0;
  try {
    for (const workload of selected) {
      const began = Date.now();
      const { markdown, failures } = await runWorkload(ctx, workload);
      failed += failures;
      tables.push(markdown);
      process.stdout.write(`\n${markdown}\n\n`);
      process.stderr.write(`   ${workload}: ${Math.round((Date.now() - began) / 1000)} s\n`);
    }
  } finally {
    await ctx.statusDatabase?.drop().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    await nats.cleanup();
    await deleteBullPrefix(redis, ctx.bullPrefix).catch(() => undefined);
  }
  const report = [
    header(
      settings,
      redisServer.version,
      loadBefore,
      loadavg()[0],
      (Date.now() - startedAt) / 1000,
      args,
      selected,
    ),
    ...tables,
  ].join('\n\n');
  process.stdout.write(`\n${report}\n`);
  if (process.env.BENCH_REPORT) writeFileSync(process.env.BENCH_REPORT, `${report}\n`);
  return failed > 0 ? 1 : 0;
}

async function runWorkload(
  ctx: Context,
  workload: WorkloadName,
): Promise<{ markdown: string; failures: number }> {
  const only = (process.env.BENCH_CONTENDERS ?? '').split(',').filter(Boolean);
  const builds = workload === 'process' ? [...ctx.builds.keys()].map((l): ContenderName => `build:${l}`) : [];
  // `ours+limit` costs a KV round trip per job (minutes for 100k on two cores): only when asked for.
  const optional: ContenderName[] =
    workload === 'process' && only.includes('ours+limit') ? ['ours+limit'] : [];
  let contenders = [...ContendersOf[workload], ...optional, ...builds].filter(
    (c) => only.length === 0 || only.includes(c),
  );
  const failures = new Map<ContenderName, string[]>();
  if (contenders.some(tracksStatuses)) {
    // Statuses need a migrated database; without PostgreSQL those rows are left out, not failed.
    const database = await statusDatabase(ctx).catch((error: Error) => {
      for (const contender of contenders.filter(tracksStatuses))
        failures.set(contender, [`left out: no migrated database (${error.message.split('\n')[0]})`]);
      process.stderr.write(`   job statuses left out: ${error.message.split('\n')[0]}\n`);
      return undefined;
    });
    if (!database) contenders = contenders.filter((c) => !tracksStatuses(c));
  }
  const runs: RunsByContender = new Map(contenders.map((c) => [c, [] as RunResult[]]));
  let failed = 0;
  process.stderr.write(`\n== ${workloadTitle(workload, ctx.settings)}\n`);
  const rounds = ctx.settings.rounds[workload];
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order each round: whoever runs first meets a cold page cache and a freshly started broker.
    const order = contenders.map((_, i) => contenders[(i + round - 1) % contenders.length]);
    for (const contender of order) {
      const spec = specFor(ctx, workload, contender, round);
      const began = Date.now();
      try {
        const result = await runOnce(ctx, spec);
        runs.get(contender)!.push(result);
        process.stderr.write(
          `   round ${round} ${contender.padEnd(11)} ${summary(workload, result)}  (${((Date.now() - began) / 1000).toFixed(1)} s in all)\n`,
        );
      } catch (error) {
        failed++;
        const message = (error as Error).message.split('\n').slice(0, 12).join('\n');
        failures.set(contender, [
          ...(failures.get(contender) ?? []),
          `round ${round}: ${message.split('\n')[0]}`,
        ]);
        process.stderr.write(`   round ${round} ${contender} FAILED: ${message}\n`);
        await verifyAndClean(ctx, spec).catch(() => undefined);
      }
    }
  }
  const title = `### ${workloadTitle(workload, ctx.settings)}`;
  const variants = workload === 'process' ? variantNotes(runs) : '';
  return {
    markdown: `${title}\n\n${workloadTable(workload, contenders, runs, failures)}${variants}`,
    failures: failed,
  };
}

function specFor(ctx: Context, workload: WorkloadName, contender: ContenderName, round: number): RunSpec {
  const tag = `${workload}_${round}_${contender.replace(/[^A-Za-z0-9]/g, '_')}`;
  return {
    workload,
    contender,
    round,
    settings: ctx.settings,
    natsUrl: ctx.nats.url,
    databaseUrl: ctx.databaseUrl,
    redis: ctx.redis,
    bullPrefix: ctx.bullPrefix,
    queue: `${workload}-r${round}-${contender.replace(/[^A-Za-z0-9-]/g, '_')}`,
    raw: { stream: `BENCH_RAW_${tag}`.toUpperCase(), subject: `bench-raw.${tag}`, durable: 'bench-raw' },
    brokerPids: contender.startsWith('bullmq')
      ? ctx.redisPid === undefined
        ? []
        : [ctx.redisPid]
      : [ctx.nats.pid],
    ...(tracksStatuses(contender) ? { jobStatuses: true, databaseUrl: ctx.statusDatabase!.url } : {}),
  };
}

/** `ours+statuses`, and a `BENCH_BUILDS` label ending in `+statuses` (that build with statuses on). */
function tracksStatuses(contender: ContenderName): boolean {
  return contender === 'ours+statuses' || (contender.startsWith('build:') && contender.endsWith('+statuses'));
}

/** Created once per bench run; every `ours+statuses` run starts from an empty `job_statuses`. */
async function statusDatabase(ctx: Context): Promise<TestDatabase> {
  ctx.statusDatabase ??= await createMigratedTestDatabase();
  return ctx.statusDatabase;
}

/** `BENCH_BUILDS` checkouts are compiled with their own `tsc -p bench/tsconfig.json`. */
function buildChild(checkout: string): string {
  return join(checkout, 'dist', 'bench', 'bench', 'child.js');
}

/** One run of one contender: prepared, measured in its child process(es), checked and cleaned up. */
async function runOnce(ctx: Context, spec: RunSpec): Promise<RunResult> {
  if (spec.workload === 'delayed') return runDelayed(ctx, spec);
  if (spec.workload === 'replicas') return runReplicas(ctx, spec);
  if (spec.workload === 'outbox') return runOutbox(ctx, spec);
  if (spec.workload === 'export') return runExport(ctx);
  await prepare(ctx, spec);
  if (spec.jobStatuses) await emptyJobStatuses(spec.databaseUrl);
  const build = spec.contender.startsWith('build:')
    ? ctx.builds.get(spec.contender.slice('build:'.length))
    : undefined;
  // Another checkout's child runs its own `ours`, with its own libs; the stream and the jobs are this run's.
  const result = await (build ? startChild({ ...spec, contender: 'ours' }, build) : startChild(spec)).result;
  if (spec.jobStatuses) {
    // Proof that the statuses were recorded, not silently off: one row per job once the writer has flushed.
    const rows = await countJobStatuses(spec.databaseUrl, ctx.settings.jobs, 3000);
    if (rows !== ctx.settings.jobs)
      result.notes.push(`job_statuses holds ${rows} rows afterwards, expected ${ctx.settings.jobs}`);
  }
  result.notes.push(...(await verifyAndClean(ctx, spec)));
  return result;
}

/** Outbox rows → relay → consumer, in one child against a private migrated database and a fresh JOBS. */
async function runOutbox(ctx: Context, spec: RunSpec): Promise<RunResult> {
  const database = await createMigratedTestDatabase();
  try {
    await freshJobsStream(ctx.jsm);
    const result = await startChild({ ...spec, databaseUrl: database.url }).result;
    const left = await outboxRows(database.url);
    if (left !== 0) result.notes.push(`outbox holds ${left} rows afterwards, expected 0`);
    result.notes.push(...(await verifyAndClean(ctx, spec)));
    return result;
  } finally {
    await database.drop().catch(() => undefined);
  }
}

/** bench/export-group.ts in its own process (its own nats-server and database): one line per format. */
async function runExport(ctx: Context): Promise<RunResult> {
  const { rows, bodyBytes } = ctx.settings.export;
  const exports = await forkExportBenchmark(
    join(__dirname, Compiled ? 'export-group.js' : 'export-group.ts'),
    {
      rows,
      bodyBytes,
      compiled: Compiled,
      cwd: RepoRoot,
      timeoutMs: ChildTimeoutMs,
    },
  );
  const seconds = exports.reduce((sum, e) => sum + e.seconds, 0);
  return {
    jobs: exports.reduce((sum, e) => sum + e.rows, 0),
    elapsedMs: seconds * 1000,
    rate: exports.reduce((sum, e) => sum + e.rows, 0) / seconds,
    clientCpuMs: NaN,
    peakRssMb: Math.max(...exports.map((e) => e.peakRssMb)),
    peakHeapMb: NaN,
    // The seeded group holds about `rows` exportable rows (comments, events, polls, votes), not exactly.
    notes: exports
      .filter((e) => e.rows < rows * 0.9)
      .map((e) => `${e.format}: ${e.rows} rows exported, expected about ${rows}`),
    exports,
  };
}

/**
 * The worker (ours: relay + handler in one service on a private database; BullMQ: a Worker) starts first and
 * stays up while the orchestrator stores the far and the due jobs, as a running system would.
 */
async function runDelayed(ctx: Context, spec: RunSpec): Promise<RunResult> {
  const ours = spec.contender === 'ours';
  let database: TestDatabase | undefined;
  const child = await (async () => {
    if (ours) {
      database = await createMigratedTestDatabase();
      spec = { ...spec, databaseUrl: database.url };
      await freshJobsStream(ctx.jsm);
    } else {
      const queue = bullQueue(spec.queue, ctx.redis, ctx.bullPrefix);
      await queue.obliterate({ force: true }).finally(() => queue.close());
    }
    global.gc?.();
    return startChild(spec);
  })().catch(async (error: unknown) => {
    await database?.drop().catch(() => undefined);
    throw error;
  });
  try {
    await child.ready;
    let load;
    if (ours) {
      load = await loadOutbox(database!.url, ctx.settings);
    } else {
      const queue = bullQueue(spec.queue, ctx.redis, ctx.bullPrefix);
      load = await loadBull(queue, ctx.settings, ctx.redis).finally(() => queue.close());
    }
    child.say('go');
    const result = await child.result;
    if (load.marginMs < 0)
      result.notes.push(
        `loading overran the lead (BENCH_DELAYED_LEAD_MS) by ${(-load.marginMs / 1000).toFixed(1)} s: the first due jobs' lateness includes loading`,
      );
    const expected = ctx.settings.delayed.stored;
    if (ours) {
      load.leftStored = await outboxRows(database!.url);
      if (load.leftStored !== expected)
        result.notes.push(`outbox holds ${load.leftStored} rows afterwards, expected ${expected}`);
    }
    if (result.duplicates) result.notes.push(`${result.duplicates} due jobs started twice`);
    result.notes.push(...(await verifyAndClean(ctx, spec)));
    return { ...result, load };
  } finally {
    child.kill();
    await database?.drop().catch(() => undefined);
  }
}

/**
 * N worker processes of the same app (one durable consumer) start and say ready; then the jobs are queued.
 * Once the stream is empty (every job acknowledged) each reports the job numbers it handled; merged here,
 * they give the throughput, the split and any job handled twice or never.
 */
async function runReplicas(ctx: Context, spec: RunSpec): Promise<RunResult> {
  const { jobsPerProcess, jobMs } = ctx.settings.replicas;
  const processes = replicasOf(spec.contender);
  const jobs = jobsPerProcess * processes;
  await freshJobsStream(ctx.jsm);
  global.gc?.();
  const children = Array.from({ length: processes }, (_, replica) => startChild({ ...spec, replica }));
  try {
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.say('go');
    await publishJobs(ctx.nc, SlowSubject, jobs);
    const budgetMs = ((jobs * jobMs) / 50) * 3 + 60_000;
    const left = await waitForEmptyStream(ctx.jsm, Streams.jobs.name, budgetMs);
    for (const c of children) c.say('stop');
    const results = await Promise.all(children.map((c) => c.result));
    const seen = new Map<number, number>();
    for (const r of results) for (const n of r.handled ?? []) seen.set(n, (seen.get(n) ?? 0) + 1);
    let duplicates = 0;
    for (const times of seen.values()) duplicates += times - 1;
    const first = Math.min(...results.map((r) => r.firstAtMs ?? Infinity));
    const last = Math.max(...results.map((r) => r.lastAtMs ?? -Infinity));
    const elapsedMs = last - first + jobMs;
    const notes = left === 0 ? [] : [`${Streams.jobs.name} still held ${left} messages after ${budgetMs} ms`];
    const outcome = {
      processes,
      perProcess: results.map((r) => r.handled?.length ?? 0),
      duplicates,
      missing: jobs - seen.size,
      redelivered: results.reduce((sum, r) => sum + (r.redelivered ?? 0), 0),
      peakRssMb: results.map((r) => r.peakRssMb),
    };
    if (outcome.duplicates > 0) notes.push(`${outcome.duplicates} jobs handled more than once`);
    if (outcome.missing > 0) notes.push(`${outcome.missing} jobs never handled`);
    notes.push(...(await verifyAndClean(ctx, spec)));
    return {
      jobs: seen.size,
      elapsedMs,
      rate: elapsedMs > 0 ? (seen.size / elapsedMs) * 1000 : 0,
      clientCpuMs: results.reduce((sum, r) => sum + r.clientCpuMs, 0),
      brokerCpuMs: Math.max(...results.map((r) => r.brokerCpuMs ?? NaN)),
      peakRssMb: Math.max(...outcome.peakRssMb),
      peakHeapMb: Math.max(...results.map((r) => r.peakHeapMb)),
      notes,
      replicas: outcome,
    };
  } finally {
    for (const c of children) c.kill();
  }
}

/** A fresh stream or queue for every run, preloaded (outside the measurement) where the workload needs it. */
async function prepare(ctx: Context, spec: RunSpec): Promise<void> {
  const jobs = ctx.settings.jobs;
  if (spec.contender === 'raw') {
    await freshRawStream(ctx.jsm, spec.raw);
    if (spec.workload === 'process')
      await preloadNats(ctx.nc, ctx.jsm, spec.raw.stream, spec.raw.subject, jobs);
  } else if (!spec.contender.startsWith('bullmq')) {
    // ours, ours+statuses and build:<label> all read JOBS.
    await freshJobsStream(ctx.jsm);
    if (spec.workload === 'process') await preloadNats(ctx.nc, ctx.jsm, Streams.jobs.name, NoopSubject, jobs);
    if (spec.workload === 'priority') await preloadNats(ctx.nc, ctx.jsm, Streams.jobs.name, LowSubject, jobs);
  } else {
    const queue = bullQueue(spec.queue, ctx.redis, ctx.bullPrefix);
    try {
      await queue.obliterate({ force: true });
      if (spec.workload === 'process') await preloadBull(queue, 'noop', jobs);
      if (spec.workload === 'priority') await preloadBull(queue, 'low', jobs, BullPriorities.low);
    } finally {
      await queue.close();
    }
  }
  global.gc?.();
}

/** Checks that every job was stored (enqueue) or consumed and acknowledged (the others), then frees the space. */
async function verifyAndClean(ctx: Context, spec: RunSpec): Promise<string[]> {
  const notes: string[] = [];
  const expectStored =
    spec.workload === 'enqueue'
      ? ctx.settings.jobs
      : spec.workload === 'delayed' && spec.contender.startsWith('bullmq')
        ? ctx.settings.delayed.stored
        : 0;
  if (!spec.contender.startsWith('bullmq')) {
    const stream = spec.contender === 'raw' ? spec.raw.stream : Streams.jobs.name;
    const left = await waitForEmptyStream(ctx.jsm, stream, expectStored === 0 ? 5000 : 0).catch(() => -1);
    if (left !== expectStored)
      notes.push(`${stream} holds ${left} messages afterwards, expected ${expectStored}`);
    await deleteStream(ctx.jsm, stream);
  } else {
    const queue = bullQueue(spec.queue, ctx.redis, ctx.bullPrefix);
    try {
      const left =
        spec.workload === 'enqueue' ? (await queue.getJobCounts('wait')).wait : await bullBacklog(queue);
      if (left !== expectStored) notes.push(`queue holds ${left} jobs afterwards, expected ${expectStored}`);
      // Obliterating 900,000 delayed jobs takes BullMQ most of a minute; unlinking the queue's keys, seconds.
      if (spec.workload === 'delayed') await deleteBullPrefix(ctx.redis, `${ctx.bullPrefix}:${spec.queue}`);
      else await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
  return notes;
}

interface ChildHandle {
  /** Settles when a two-step child (lib/ipc.ts) says it is ready; fails if it ends first. */
  ready: Promise<void>;
  result: Promise<RunResult>;
  say(step: ParentMessage['step']): void;
  kill(): void;
}

function startChild(spec: RunSpec, checkout?: string): ChildHandle {
  // BENCH_CHILD_FLAGS: extra node flags for the measured processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const execArgv = ['--expose-gc', ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean)];
  if (!Compiled) {
    execArgv.push('-r', require.resolve('ts-node/register/transpile-only'));
    execArgv.push('-r', require.resolve('tsconfig-paths/register'));
  }
  const script = checkout ? buildChild(checkout) : join(__dirname, Compiled ? 'child.js' : 'child.ts');
  const child = fork(script, [], {
    cwd: checkout ?? RepoRoot,
    execArgv,
    env: {
      ...process.env,
      BENCH_SPEC: JSON.stringify(spec),
      TS_NODE_PROJECT: join(RepoRoot, 'tsconfig.json'),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  liveChildren.add(child);
  let markReady!: () => void;
  const readySignal = new Promise<void>((resolve) => (markReady = resolve));
  const result = new Promise<RunResult>((resolve, reject) => {
    let answer: Exclude<ChildMessage, { ready: true }> | undefined;
    const timer = setTimeout(() => {
      reject(new Error(`child ${child.pid} gave no result within ${ChildTimeoutMs / 1000} s`));
      child.kill('SIGKILL');
    }, ChildTimeoutMs);
    child.on('message', (message: ChildMessage) => {
      if ('ready' in message) markReady();
      else answer = message;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      if (answer?.ok) resolve(answer.result);
      else if (answer) reject(new Error(answer.error));
      else reject(new Error(`child exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
  const ready = Promise.race([
    readySignal,
    result.then(() => {
      throw new Error('the child finished without saying it was ready');
    }),
  ]);
  // Whoever awaits only one of the two must not leave the other as an unhandled rejection.
  ready.catch(() => undefined);
  result.catch(() => undefined);
  return {
    ready,
    result,
    say: (step) => {
      if (child.connected) child.send({ step } satisfies ParentMessage);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function summary(workload: WorkloadName, r: RunResult): string {
  const rate = `${Math.round(r.rate).toLocaleString('en-US')} jobs/s`;
  const mem = `rss ${Math.round(r.peakRssMb)} MB`;
  if (workload === 'latency' && r.latency)
    return `p50 ${r.latency.p50.toFixed(2)} ms  p99 ${r.latency.p99.toFixed(2)} ms  max ${r.latency.max.toFixed(1)} ms  ${mem}`;
  if (workload === 'priority' && r.critical)
    return `critical p50 ${r.critical.p50.toFixed(2)} ms  p99 ${r.critical.p99.toFixed(2)} ms (${r.critical.count})  low ${rate}  ${mem}`;
  const notes = r.notes.length ? `  ! ${r.notes.join('; ')}` : '';
  if (workload === 'delayed' && r.lateness && r.load)
    return (
      `lateness p50 ${r.lateness.p50.toFixed(1)} ms  p99 ${r.lateness.p99.toFixed(1)} ms  max ${r.lateness.max.toFixed(0)} ms  ` +
      `load ${(r.load.storedMs / 1000).toFixed(1)} s + ${(r.load.dueMs / 1000).toFixed(1)} s  ` +
      `margin ${(r.load.marginMs / 1000).toFixed(1)} s  ${mem}${notes}`
    );
  if (workload === 'replicas' && r.replicas)
    return (
      `${rate}  split ${r.replicas.perProcess.join('/')}  duplicates ${r.replicas.duplicates}  ` +
      `missing ${r.replicas.missing}  redelivered ${r.replicas.redelivered}  ${mem}${notes}`
    );
  return `${rate}  ${(r.elapsedMs / 1000).toFixed(2)} s  ${mem}${notes}`;
}

/** Other work on a two-core machine skews everything; BENCH_MAX_LOAD makes the run wait for quiet. */
async function waitForQuietMachine(): Promise<number> {
  const max = Number(process.env.BENCH_MAX_LOAD);
  if (!max) return loadavg()[0];
  const deadline = Date.now() + Number(process.env.BENCH_LOAD_WAIT_S ?? 600) * 1000;
  while (loadavg()[0] >= max && Date.now() < deadline) {
    process.stderr.write(`load average ${loadavg()[0].toFixed(2)} ≥ ${max}: waiting\n`);
    await sleep(15_000);
  }
  if (loadavg()[0] >= max) process.stderr.write(`load still ${loadavg()[0].toFixed(2)}; measuring anyway\n`);
  return loadavg()[0];
}

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(RepoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return '?';
  }
}

function header(
  s: BenchSettings,
  redisVersion: string,
  loadBefore: number,
  loadAfter: number,
  seconds: number,
  args: string[],
  selected: readonly WorkloadName[],
): string {
  let natsServer = '?';
  try {
    natsServer = execFileSync(NATS_SERVER_BINARY, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server: /, '');
  } catch {
    // reported as unknown
  }
  const env = [
    'BENCH_SCALE',
    'BENCH_ROUNDS',
    'BENCH_LOW_JOB_MS',
    'BENCH_MAX_LOAD',
    'BENCH_CONTENDERS',
    'BENCH_BUILDS',
  ]
    .filter((k) => process.env[k])
    .map((k) => `${k}=${process.env[k]} `)
    .join('');
  return [
    `## Results (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round(seconds)} s)`,
    '',
    `- command: \`${env}npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\` ` +
      (Compiled
        ? '(= `tsc -p bench/tsconfig.json && node dist/bench/bench/run.js`; each run forks ' +
          '`node --expose-gc dist/bench/bench/child.js`: compiled, no ts-node in any measured process)'
        : '(under ts-node: each run forks `node --expose-gc -r ts-node/register/transpile-only ' +
          '-r tsconfig-paths/register bench/child.ts`; its RSS and heap include the TypeScript compiler)'),
    `- machine: ${cpus().length} CPUs (\`nproc\`), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}`,
    `- load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`,
    `- versions: Node ${process.versions.node}, nats.js ${packageVersion('nats')}, nats-server ${natsServer}, ` +
      `@nestjs/core ${packageVersion('@nestjs/core')}, BullMQ ${packageVersion('bullmq')}, ` +
      `ioredis ${packageVersion('ioredis')}, Redis ${redisVersion}`,
    `- scale ${s.scale} (${s.jobs.toLocaleString('en-US')} jobs per run); interleaved rounds per workload: ` +
      `${selected.map((w) => `${w} ${s.rounds[w]}`).join(', ')}; median reported; every run in a fresh ` +
      'process against a fresh stream or queue',
  ].join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping\n`);
    for (const child of liveChildren) child.kill('SIGKILL');
    // The nats-server dies with us (libs/testing ties it to this process); Redis keys left behind carry the
    // bench-<pid>- prefix.
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
