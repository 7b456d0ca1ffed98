/*
 * npm run bench:memory — resident memory (RSS) of every real app, each started alone as it is deployed
 * (`node dist/apps/<app>/…/main.js`, after `npm run build`) against a private nats-server, a private
 * database and an SMTP capture:
 *   idle:   RSS once /health/ready answers and BENCH_MEMORY_IDLE_MS (10 s) have passed;
 *   loaded: peak RSS (sampled every 100 ms) while the app works through a cheap load of its own kind,
 *           and RSS once the load is done.
 * Loads: the scheduler relays outbox rows; poller, notifier, exporter and janitor run their cron jobs (the
 * payloads of the cron table) queued many times over; the dashboard answers its overview API to a logged-in
 * client. BENCH_SCALE multiplies the load sizes; BENCH_APPS=poller,janitor measures a subset;
 * BENCH_APPS_ROOT is the directory holding `dist/apps` (default: this repository); BENCH_MAX_LOAD waits (up
 * to BENCH_LOAD_WAIT_S, 600 s) until the 1-minute load average is below it.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { Contracts, CronTable } from '@lib/contracts';
import { AllEntities, AllMigrations, createDataSource, Outbox } from '@lib/db';
import { DefaultStreamSettings, ensureStreams, JetStreamPublisher, Streams } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  freePort,
  startNatsServer,
  startSmtpCapture,
  type TestDatabase,
} from '@lib/testing';
import { sleep } from './lib/measure';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findMain } = require('../deploy/docker/find-main') as {
  findMain(app: string, root: string): string | null;
};

const RepoRoot = join(__dirname, '..');
const Apps = ['scheduler', 'notifier', 'poller', 'exporter', 'janitor', 'dashboard'] as const;
type AppName = (typeof Apps)[number];

const scale = Number(process.env.BENCH_SCALE ?? 1);
const idleMs = Number(process.env.BENCH_MEMORY_IDLE_MS ?? 10_000);
/** Jobs queued per cron subject of a job-running app. */
const jobsPerSubject = Math.max(20, Math.round(2000 * scale));
const outboxRowCount = Math.max(100, Math.round(20_000 * scale));
const dashboardRequests = Math.max(20, Math.round(2000 * scale));
const LoadTimeoutMs = 180_000;
const DashboardUser = 'bench';
const DashboardPassword = 'bench-memory-password';
const MB = 2 ** 20;

interface Servers {
  natsUrl: string;
  nc: NatsConnection;
  jsm: JetStreamManager;
  database: TestDatabase;
  smtpUrl: string;
}

interface LoadOutcome {
  description: string;
  /** Units of work completed (jobs, rows relayed, requests answered) out of `total`. */
  done: number;
  total: number;
}

interface AppMemory {
  app: AppName;
  bootMs: number;
  idleRssMb: number;
  peakLoadedRssMb?: number;
  afterLoadRssMb?: number;
  loadMs?: number;
  load?: LoadOutcome;
  error?: string;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for pid ${pid}`);
  return kb * 1024;
}

/** The app as deployed: plain node on the compiled entry, its settings from the environment. */
class AppProcess {
  private readonly output: string[] = [];
  private exited?: string;
  readonly child: ChildProcess;

  constructor(
    readonly app: AppName,
    main: string,
    readonly port: number,
    servers: Servers,
  ) {
    this.child = spawn(process.execPath, [main], {
      cwd: RepoRoot,
      env: {
        // Whatever the operator set (an app's own settings, e.g. OUTBOUND_ALLOW_HOSTS) passes through; the
        // servers, port and secrets of this run take precedence.
        ...process.env,
        // The compiled apps may live outside this repository (BENCH_APPS_ROOT); their packages do not.
        NODE_PATH: join(RepoRoot, 'node_modules'),
        NODE_ENV: 'production',
        NATS_URL: servers.natsUrl,
        DATABASE_URL: servers.database.url,
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        SMTP_URL: servers.smtpUrl,
        DASHBOARD_USER: DashboardUser,
        DASHBOARD_PASSWORD: DashboardPassword,
        EXPORT_LINK_SECRET: process.env.EXPORT_LINK_SECRET ?? randomBytes(32).toString('hex'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.output.splice(0, Math.max(0, this.output.length - 30));
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('exit', (code, signal) => (this.exited = signal ?? `code ${code}`));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  rssMb(): number {
    if (this.exited) throw this.died();
    return rssBytes(this.child.pid!) / MB;
  }

  died(): Error {
    return new Error(`${this.app} exited (${this.exited}); its last output:\n${this.output.join('\n')}`);
  }

  async waitReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw this.died();
      const ok = await fetch(`${this.url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(200);
    }
    throw new Error(`${this.app} not ready within ${timeoutMs} ms:\n${this.output.join('\n')}`);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Waits until `left()` reaches 0 or the time is up; returns what is left. */
async function drained(left: () => Promise<number>, timeoutMs = LoadTimeoutMs): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let remaining = await left();
  while (remaining > 0 && Date.now() < deadline) {
    await sleep(100);
    remaining = await left();
  }
  return remaining;
}

const jobsStored = async (servers: Servers) =>
  (await servers.jsm.streams.info(Streams.jobs.name)).state.messages;

/** The app's cron jobs (their cron-table payloads), each queued `jobsPerSubject` times. */
async function cronJobsLoad(app: AppName, servers: Servers): Promise<LoadOutcome | undefined> {
  const entries = CronTable.filter((entry) => entry.subject.startsWith(`jobs.${app}.`));
  if (entries.length === 0) return undefined;
  const publisher = new JetStreamPublisher(servers.nc.jetstream(), Contracts, 'urn:loomio-workers:bench');
  const total = entries.length * jobsPerSubject;
  for (let i = 0; i < jobsPerSubject; i += 100) {
    const chunk: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(jobsPerSubject, i + 100); k++)
      for (const entry of entries)
        chunk.push(publisher.publish(entry.subject as never, entry.payload as never));
    await Promise.all(chunk);
  }
  const left = await drained(() => jobsStored(servers));
  return {
    description: `${entries.map((e) => `\`${e.subject.replace(`jobs.${app}.`, '')}\``).join(', ')} × ${jobsPerSubject}`,
    done: total - left,
    total,
  };
}

/** Immediate outbox rows committed 100 per transaction (each firing NOTIFY); the relay publishes them. */
async function outboxLoad(servers: Servers): Promise<LoadOutcome> {
  const dataSource = await createDataSource({
    url: servers.database.url,
    entities: AllEntities,
    migrations: AllMigrations,
  }).initialize();
  try {
    const outbox = new Outbox(Contracts, 'urn:loomio-workers:bench');
    const subject = 'jobs.janitor.prune-processed-messages';
    for (let i = 0; i < outboxRowCount; i += 100) {
      await dataSource.transaction(async (manager) => {
        for (let k = i; k < Math.min(outboxRowCount, i + 100); k++)
          await outbox.publish(manager, subject, { olderThanDays: 30 });
      });
    }
    const rows = async () =>
      ((await dataSource.query(`SELECT count(*)::int AS n FROM outbox_messages`)) as { n: number }[])[0].n;
    const left = await drained(rows);
    return {
      description: `${outboxRowCount} outbox rows relayed`,
      done: outboxRowCount - left,
      total: outboxRowCount,
    };
  } finally {
    await dataSource.destroy();
  }
}

/** A logged-in client reading the overview (streams, consumers, workers, cron) 4 requests at a time. */
async function dashboardLoad(app: AppProcess): Promise<LoadOutcome> {
  const login = await fetch(`${app.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: DashboardUser, password: DashboardPassword }),
  });
  if (!login.ok) throw new Error(`dashboard login answered ${login.status}: ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  let done = 0;
  let next = 0;
  const client = async () => {
    while (next < dashboardRequests) {
      next++;
      const response = await fetch(`${app.url}/api/overview`, { headers: { cookie } });
      await response.arrayBuffer();
      if (response.ok) done++;
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  return {
    description: `${dashboardRequests} GET /api/overview, 4 at a time`,
    done,
    total: dashboardRequests,
  };
}

async function measure(appName: AppName, root: string, servers: Servers): Promise<AppMemory> {
  const main = findMain(appName, root);
  if (!main)
    throw new Error(`no main.js under ${join(root, 'dist', 'apps', appName)}: run \`npm run build\` first`);
  await servers.jsm.streams.purge(Streams.jobs.name);
  const began = Date.now();
  const app = new AppProcess(appName, main, await freePort(), servers);
  try {
    await app.waitReady();
    const bootMs = Date.now() - began;
    await sleep(idleMs);
    const idleRssMb = app.rssMb();
    let peak = idleRssMb;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, app.rssMb());
      } catch {
        // reported by the load or the final reading
      }
    }, 100);
    const loadFrom = Date.now();
    let load: LoadOutcome | undefined;
    try {
      if (appName === 'scheduler') load = await outboxLoad(servers);
      else if (appName === 'dashboard') load = await dashboardLoad(app);
      else load = await cronJobsLoad(appName, servers);
    } finally {
      clearInterval(sampler);
    }
    const loadMs = Date.now() - loadFrom;
    if (!load) return { app: appName, bootMs, idleRssMb };
    peak = Math.max(peak, app.rssMb());
    return {
      app: appName,
      bootMs,
      idleRssMb,
      peakLoadedRssMb: peak,
      afterLoadRssMb: app.rssMb(),
      loadMs,
      load,
    };
  } finally {
    await app.stop();
  }
}

function report(results: AppMemory[]): string {
  const f = (v?: number) => (v === undefined ? '–' : v.toFixed(0));
  const rows = results.map((r) =>
    r.error
      ? `| ${r.app} | failed: ${r.error.split('\n')[0]} | | | | | |`
      : `| ${r.app} | ${(r.bootMs / 1000).toFixed(1)} | ${f(r.idleRssMb)} | ${f(r.peakLoadedRssMb)} | ${f(r.afterLoadRssMb)} | ` +
        `${r.load ? `${r.load.description}: ${r.load.done}/${r.load.total} in ${((r.loadMs ?? 0) / 1000).toFixed(1)} s` : 'none'} |`,
  );
  return [
    `| app | boot s | idle RSS MB | peak RSS under load MB | RSS after load MB | load (done/total in time) |`,
    `| --- | ---: | ---: | ---: | ---: | --- |`,
    ...rows,
  ].join('\n');
}

/** Other work on a two-core machine inflates RSS little but boot and load times a lot. */
async function waitForQuietMachine(): Promise<number> {
  const max = Number(process.env.BENCH_MAX_LOAD);
  const deadline = Date.now() + Number(process.env.BENCH_LOAD_WAIT_S ?? 600) * 1000;
  while (max && loadavg()[0] >= max && Date.now() < deadline) {
    process.stderr.write(`load average ${loadavg()[0].toFixed(2)} ≥ ${max}: waiting\n`);
    await sleep(15_000);
  }
  return loadavg()[0];
}

async function main(): Promise<number> {
  const selected = (process.env.BENCH_APPS ?? '').split(',').filter(Boolean);
  const unknown = selected.filter((a) => !(Apps as readonly string[]).includes(a));
  if (unknown.length > 0)
    throw new Error(`unknown app(s) ${unknown.join(', ')}; choose from ${Apps.join(', ')}`);
  const apps = selected.length > 0 ? Apps.filter((a) => selected.includes(a)) : [...Apps];
  const root = process.env.BENCH_APPS_ROOT ?? RepoRoot;
  const loadBefore = await waitForQuietMachine();
  const [nats, database, smtp] = await Promise.all([
    startNatsServer(),
    createMigratedTestDatabase(),
    startSmtpCapture(),
  ]);
  const nc = await connect({ servers: nats.url, name: 'bench-memory' });
  const results: AppMemory[] = [];
  try {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, DefaultStreamSettings);
    const servers: Servers = { natsUrl: nats.url, nc, jsm, database, smtpUrl: smtp.url };
    for (const app of apps) {
      process.stderr.write(`== ${app}\n`);
      const result = await measure(app, root, servers).catch((error: Error): AppMemory => ({
        app,
        bootMs: 0,
        idleRssMb: NaN,
        error: error.message,
      }));
      process.stderr.write(`   ${JSON.stringify(result)}\n`);
      results.push(result);
    }
  } finally {
    await nc.drain().catch(() => undefined);
    await nats.cleanup();
    await database.drop();
    await smtp.stop();
  }
  process.stdout.write(
    `\nmemory of each app (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `load ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after; Node ${process.versions.node}; ` +
      `idle after ${idleMs / 1000} s; BENCH_SCALE=${scale})\n\n${report(results)}\n`,
  );
  return results.some((r) => r.error || (r.load && r.load.done < r.load.total)) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
