import { Compiled, RepoRoot } from './paths';
import 'reflect-metadata';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { NATS_SERVER_BINARY, startNatsServer, type NatsServerHandle } from '@lib/testing';
import { Streams } from '@lib/jetstream';
import type { ChildMessage } from './child';
import { LowSubject, NoopSubject } from './lib/bench-app';
import {
  bullBacklog,
  bullQueue,
  deleteBullPrefix,
  deleteStream,
  freshJobsStream,
  freshRawStream,
  preloadBull,
  preloadNats,
  redisInfo,
  waitForEmptyStream,
  type RedisTarget,
} from './lib/brokers';
import { sleep } from './lib/measure';
import { workloadTable, workloadTitle, type RunsByContender } from './lib/report';
import {
  benchSettings,
  BullPriorities,
  ContendersOf,
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
 * Environment: BENCH_SCALE (default 1) shrinks every count, BENCH_ROUNDS (3), BENCH_LOW_JOB_MS (5),
 * BENCH_MAX_LOAD (wait until the 1-minute load average is below it, up to BENCH_LOAD_WAIT_S = 600 s),
 * REDIS_HOST / REDIS_PORT (127.0.0.1:6379), TEST_DATABASE_URL (only our service's health check uses it),
 * BENCH_CHILD_FLAGS (extra node flags for the measured processes, e.g. `--cpu-prof --cpu-prof-dir=DIR`),
 * BENCH_CONTENDERS (comma-separated subset, e.g. `raw,ours`, for profiling).
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
}

let currentChild: ChildProcess | undefined;

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
  const selected = args.length > 0 ? Workloads.filter((w) => args.includes(w)) : [...Workloads];
  const settings = benchSettings();
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
  };
  const tables: string[] = [];
  let failed = 0;
  try {
    for (const workload of selected) {
      const { markdown, failures } = await runWorkload(ctx, workload);
      failed += failures;
      tables.push(markdown);
      process.stdout.write(`\n${markdown}\n\n`);
    }
  } finally {
    await nc.drain().catch(() => undefined);
    await nats.cleanup();
    await deleteBullPrefix(redis, ctx.bullPrefix).catch(() => undefined);
  }
  const report = [
    header(settings, redisServer.version, loadBefore, loadavg()[0], (Date.now() - startedAt) / 1000, args),
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
  const contenders = ContendersOf[workload].filter((c) => only.length === 0 || only.includes(c));
  const runs: RunsByContender = new Map(contenders.map((c) => [c, [] as RunResult[]]));
  const failures = new Map<ContenderName, string[]>();
  let failed = 0;
  process.stderr.write(`\n== ${workloadTitle(workload, ctx.settings)}\n`);
  for (let round = 1; round <= ctx.settings.rounds; round++) {
    // Rotate the order each round: whoever runs first meets a cold page cache and a freshly started broker.
    const order = contenders.map((_, i) => contenders[(i + round - 1) % contenders.length]);
    for (const contender of order) {
      const spec = specFor(ctx, workload, contender, round);
      const began = Date.now();
      try {
        await prepare(ctx, spec);
        const result = await runChild(spec);
        result.notes.push(...(await verifyAndClean(ctx, spec)));
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
  return {
    markdown: `${title}\n\n${workloadTable(workload, contenders, runs, failures)}`,
    failures: failed,
  };
}

function specFor(ctx: Context, workload: WorkloadName, contender: ContenderName, round: number): RunSpec {
  const tag = `${workload}_${round}_${contender.replace(/-/g, '_')}`;
  return {
    workload,
    contender,
    round,
    settings: ctx.settings,
    natsUrl: ctx.nats.url,
    databaseUrl: ctx.databaseUrl,
    redis: ctx.redis,
    bullPrefix: ctx.bullPrefix,
    queue: `${workload}-r${round}-${contender}`,
    raw: { stream: `BENCH_RAW_${tag}`.toUpperCase(), subject: `bench-raw.${tag}`, durable: 'bench-raw' },
    brokerPids: contender.startsWith('bullmq')
      ? ctx.redisPid === undefined
        ? []
        : [ctx.redisPid]
      : [ctx.nats.pid],
  };
}

/** A fresh stream or queue for every run, preloaded (outside the measurement) where the workload needs it. */
async function prepare(ctx: Context, spec: RunSpec): Promise<void> {
  const jobs = ctx.settings.jobs;
  if (spec.contender === 'raw') {
    await freshRawStream(ctx.jsm, spec.raw);
    if (spec.workload === 'process')
      await preloadNats(ctx.nc, ctx.jsm, spec.raw.stream, spec.raw.subject, jobs);
  } else if (spec.contender === 'ours') {
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
  const expectStored = spec.workload === 'enqueue' ? ctx.settings.jobs : 0;
  if (spec.contender === 'raw' || spec.contender === 'ours') {
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
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
  return notes;
}

function runChild(spec: RunSpec): Promise<RunResult> {
  // BENCH_CHILD_FLAGS: extra node flags for the measured processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const execArgv = ['--expose-gc', ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean)];
  if (!Compiled) {
    execArgv.push('-r', require.resolve('ts-node/register/transpile-only'));
    execArgv.push('-r', require.resolve('tsconfig-paths/register'));
  }
  const child = fork(join(__dirname, Compiled ? 'child.js' : 'child.ts'), [], {
    cwd: RepoRoot,
    execArgv,
    env: {
      ...process.env,
      BENCH_SPEC: JSON.stringify(spec),
      TS_NODE_PROJECT: join(RepoRoot, 'tsconfig.json'),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  currentChild = child;
  return new Promise<RunResult>((resolve, reject) => {
    let answer: ChildMessage | undefined;
    const timer = setTimeout(() => {
      reject(new Error(`child ${child.pid} gave no result within ${ChildTimeoutMs / 1000} s`));
      child.kill('SIGKILL');
    }, ChildTimeoutMs);
    child.on('message', (message: ChildMessage) => (answer = message));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      currentChild = undefined;
      if (answer?.ok) resolve(answer.result);
      else if (answer) reject(new Error(answer.error));
      else reject(new Error(`child exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
}

function summary(workload: WorkloadName, r: RunResult): string {
  const rate = `${Math.round(r.rate).toLocaleString('en-US')} jobs/s`;
  const mem = `rss ${Math.round(r.peakRssMb)} MB`;
  if (workload === 'latency' && r.latency)
    return `p50 ${r.latency.p50.toFixed(2)} ms  p99 ${r.latency.p99.toFixed(2)} ms  max ${r.latency.max.toFixed(1)} ms  ${mem}`;
  if (workload === 'priority' && r.critical)
    return `critical p50 ${r.critical.p50.toFixed(2)} ms  p99 ${r.critical.p99.toFixed(2)} ms (${r.critical.count})  low ${rate}  ${mem}`;
  return `${rate}  ${(r.elapsedMs / 1000).toFixed(2)} s  ${mem}${r.notes.length ? `  ! ${r.notes.join('; ')}` : ''}`;
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
): string {
  let natsServer = '?';
  try {
    natsServer = execFileSync(NATS_SERVER_BINARY, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server: /, '');
  } catch {
    // reported as unknown
  }
  const env = ['BENCH_SCALE', 'BENCH_ROUNDS', 'BENCH_LOW_JOB_MS', 'BENCH_MAX_LOAD']
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
    `- scale ${s.scale} (${s.jobs.toLocaleString('en-US')} jobs per run), ${s.rounds} interleaved round(s), ` +
      'median reported; every run in a fresh process against a fresh stream or queue',
  ].join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping\n`);
    currentChild?.kill('SIGKILL');
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
