/**
 * What `npm run bench` measures and how big: everything scales with BENCH_SCALE so a smoke run takes
 * seconds. No heavy imports here: the children of every contender load this file.
 */

export const Workloads = [
  'enqueue',
  'process',
  'latency',
  'priority',
  'delayed',
  'replicas',
  'outbox',
  'export',
] as const;
export type WorkloadName = (typeof Workloads)[number];

/**
 * What `npm run bench` runs without naming workloads. `export` seeds a million rows and writes two files
 * (70 s at scale 1 on a busy machine, about 45 s on a quiet one), which the 10-minute budget of the full run
 * (about 575 s without it) does not hold: it runs when named.
 */
export const DefaultWorkloads: readonly WorkloadName[] = Workloads.filter((w) => w !== 'export');

/**
 * `ours-xN`: N worker processes of our runtime on one durable consumer (replicas workload).
 * `ours+statuses`: ours with `JOB_STATUSES=true` against a private migrated database (process workload).
 * `ours+limit`: ours with a rate limit never reached (process workload; only when named in BENCH_CONTENDERS).
 * `build:<label>`: ours as compiled in another checkout (`BENCH_BUILDS`), for before/after comparisons.
 */
export const Contenders = [
  'raw',
  'ours',
  'ours+statuses',
  'ours+limit',
  'bullmq',
  'bullmq-bulk',
  'ours-x1',
  'ours-x2',
  'ours-x4',
] as const;
export type ContenderName = (typeof Contenders)[number] | `build:${string}`;

/** Contenders per workload; the first one is the baseline of the "vs" column. */
export const ContendersOf: Record<WorkloadName, readonly ContenderName[]> = {
  enqueue: ['raw', 'ours', 'bullmq', 'bullmq-bulk'],
  process: ['raw', 'ours', 'ours+statuses', 'bullmq'],
  latency: ['raw', 'ours', 'bullmq'],
  priority: ['ours', 'bullmq'],
  delayed: ['ours', 'bullmq'],
  replicas: ['ours-x1', 'ours-x2', 'ours-x4'],
  outbox: ['ours'],
  export: ['ours'],
};

/**
 * Rounds per workload unless BENCH_ROUNDS (or BENCH_ROUNDS_<WORKLOAD>) says otherwise, chosen so that the
 * full run fits in 10 minutes: three for process, whose single runs vary by ±30 % on two shared cores; two
 * for enqueue and priority; one where a run is a fixed stretch of time (latency: 20 s per contender, 9,500
 * samples), its rounds agreed within 2 % (replicas) or it stores a million jobs (delayed, export).
 */
export const DefaultRounds: Record<WorkloadName, number> = {
  enqueue: 2,
  process: 3,
  latency: 1,
  priority: 2,
  delayed: 1,
  replicas: 1,
  outbox: 1,
  export: 1,
};

/** Other checkouts whose compiled bench (`<dir>/dist/bench`) runs as contender `build:<label>`. */
export function benchBuilds(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const builds = new Map<string, string>();
  for (const entry of (env.BENCH_BUILDS ?? '').split(',').filter(Boolean)) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_BUILDS entries are label=/path/to/checkout, got "${entry}"`);
    builds.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return builds;
}

/** Worker processes a contender runs at once (the replicas workload); 1 for everything else. */
export function replicasOf(contender: ContenderName): number {
  const match = /^ours-x(\d+)$/.exec(contender);
  return match ? Number(match[1]) : 1;
}

export const ContenderLabels: Record<WorkloadName, Partial<Record<ContenderName, string>>> = {
  enqueue: {
    raw: 'raw `js.publish` (1,000 in flight)',
    ours: 'ours `JetStreamPublisher.publish` (1,000 in flight)',
    bullmq: 'BullMQ `queue.add` (1,000 in flight)',
    'bullmq-bulk': 'BullMQ `queue.addBulk` (1,000 per call)',
  },
  process: {
    raw: 'raw `consume({ callback })`, max_messages 1,000',
    ours: 'ours: `startService`, Nest handler, 50 slots',
    'ours+statuses': 'ours with job statuses (`JOB_STATUSES=true`, private database)',
    'ours+limit': 'ours with a rate limit never reached (1,000 keys × 10,000/s)',
    bullmq: 'BullMQ `Worker`, concurrency 50, Nest provider',
  },
  latency: {
    raw: 'raw `js.publish` → `consume({ callback })`',
    ours: 'ours: publisher → `startService` handler',
    bullmq: 'BullMQ `queue.add` → `Worker` (concurrency 50)',
  },
  priority: {
    ours: 'ours: critical + low consumers, 50 slots',
    bullmq: 'BullMQ priorities 1 / 10, concurrency 50',
  },
  delayed: {
    ours: 'ours: outbox rows (`deliver_at`) → `OutboxRelay` → `startService` handler',
    bullmq: 'BullMQ `addBulk` with `delay` → `Worker` (concurrency 50)',
  },
  replicas: {
    'ours-x1': 'ours, 1 process × 50 slots',
    'ours-x2': 'ours, 2 processes × 50 slots',
    'ours-x4': 'ours, 4 processes × 50 slots',
  },
  outbox: {
    ours: 'ours: `Outbox.publish` → `OutboxRelay` → JetStream consumer',
  },
  export: {
    ours: 'exporter `GroupExporter`',
  },
};

export const JobBytes = 128;
/** Publishes (or adds) kept outstanding at once: `Promise.all` over chunks of this many. */
export const EnqueueWindow = 1000;
export const BullConcurrency = 50;
export const BullJobOptions = { attempts: 3, removeOnComplete: true } as const;
export const BullPriorities = { critical: 1, low: 10 } as const;

export interface BenchSettings {
  scale: number;
  rounds: Record<WorkloadName, number>;
  /** Jobs per run of enqueue and process, and the low backlog of the priority workload. */
  jobs: number;
  latency: { ratePerSec: number; durationMs: number; warmupMs: number };
  /** `warmupMs`: critical jobs sent in the first moments (JIT, first publish) are sent but not counted. */
  priority: { criticalEveryMs: number; lowJobMs: number; minCriticals: number; warmupMs: number };
  /**
   * `due` jobs fall due evenly over `windowMs`, starting `leadMs` after their loading began, while `stored`
   * more wait for much later (1 hour to 14 days); loading the stored ones comes first.
   */
  delayed: {
    due: number;
    stored: number;
    windowMs: number;
    leadMs: number;
    relayBatchSize: number;
  };
  /**
   * `jobsPerProcess` × N jobs that each sleep `jobMs`, shared by N = 1, 2 and 4 worker processes: every run
   * lasts about as long, so each jobs/s figure rests on as many seconds.
   */
  replicas: { jobsPerProcess: number; jobMs: number };
  /** Immediate rows committed one per transaction at `ratePerSec`, then `delayed` rows due `aheadMs` later. */
  outbox: { immediate: number; ratePerSec: number; delayed: number; aheadMs: number };
  /** Comments in one discussion exported as JSONL and CSV; `bodyBytes` per comment. */
  export: { rows: number; bodyBytes: number };
}

export function benchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const scale = positive(env.BENCH_SCALE, 1, 'BENCH_SCALE');
  const roundsOverride = env.BENCH_ROUNDS ? Math.round(positive(env.BENCH_ROUNDS, 1, 'BENCH_ROUNDS')) : 0;
  // BENCH_ROUNDS_<WORKLOAD> (e.g. BENCH_ROUNDS_LATENCY=3) wins over BENCH_ROUNDS for that workload.
  const rounds = Object.fromEntries(
    Workloads.map((w) => {
      const name = `BENCH_ROUNDS_${w.toUpperCase()}`;
      const own = env[name] ? Math.round(positive(env[name], 1, name)) : 0;
      return [w, own || roundsOverride || DefaultRounds[w]];
    }),
  ) as Record<WorkloadName, number>;
  return {
    scale,
    rounds,
    jobs: Math.max(50, Math.round(100_000 * scale)),
    latency: {
      ratePerSec: 500,
      durationMs: Math.max(400, Math.round(20_000 * scale)),
      // The first second is JIT and connection warm-up, not steady state.
      warmupMs: Math.round(1000 * Math.min(1, scale)),
    },
    priority: {
      criticalEveryMs: 100,
      lowJobMs: positive(env.BENCH_LOW_JOB_MS, 5, 'BENCH_LOW_JOB_MS'),
      minCriticals: 5,
      warmupMs: Math.round(1000 * Math.min(1, scale)),
    },
    delayed: {
      due: Math.max(50, Math.round(100_000 * scale)),
      stored: Math.max(50, Math.round(900_000 * scale)),
      windowMs: Math.max(1000, Math.round(60_000 * scale)),
      // Loading the 100k due jobs takes 3–6 s; the first one falls due only after that.
      leadMs: positive(
        env.BENCH_DELAYED_LEAD_MS,
        Math.max(1000, Math.round(10_000 * Math.min(1, scale * 2))),
        'BENCH_DELAYED_LEAD_MS',
      ),
      relayBatchSize: DefaultRelayBatchSize,
    },
    replicas: {
      jobsPerProcess: Math.max(50, Math.round(6_000 * scale)),
      jobMs: positive(env.BENCH_REPLICA_JOB_MS, 50, 'BENCH_REPLICA_JOB_MS'),
    },
    outbox: {
      immediate: Math.max(20, Math.round(1000 * scale)),
      ratePerSec: 100,
      delayed: Math.max(10, Math.round(200 * scale)),
      // 2 s from scale 0.1 up; smoke runs wait 0.5 s.
      aheadMs: Math.round(2000 * Math.min(1, Math.max(0.25, scale * 10))),
    },
    export: {
      rows: Math.max(
        100,
        Math.round(positive(env.BENCH_EXPORT_ROWS, 1_000_000 * scale, 'BENCH_EXPORT_ROWS')),
      ),
      bodyBytes: Math.round(positive(env.BENCH_EXPORT_BODY, 500, 'BENCH_EXPORT_BODY')),
    },
  };
}

/** `DefaultOutboxRelaySettings.batchSize` of libs/jetstream; run.ts sets the real one (this file stays import-free). */
export const DefaultRelayBatchSize = 500;

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${name} must be a positive number, got "${value}"`);
  return parsed;
}

/** Everything a child needs to run one contender once; travels as JSON in BENCH_SPEC. */
export interface RunSpec {
  workload: WorkloadName;
  contender: ContenderName;
  round: number;
  settings: BenchSettings;
  natsUrl: string;
  databaseUrl: string;
  redis: { host: string; port: number };
  /** BullMQ key prefix, private to this bench run. */
  bullPrefix: string;
  /** BullMQ queue of this run. */
  queue: string;
  /** Stream, subject and durable of the raw contender. */
  raw: { stream: string; subject: string; durable: string };
  /** Processes whose CPU time is the broker's (nats-server or redis-server). */
  brokerPids: number[];
  /** Replicas workload: which of the `replicasOf(contender)` worker processes this one is (0-based). */
  replica?: number;
  /** Ours records job statuses (`JOB_STATUSES=true`) in `databaseUrl`, a migrated database. */
  jobStatuses?: boolean;
}

export interface RunResult {
  jobs: number;
  elapsedMs: number;
  /** Jobs per second over the measured window. */
  rate: number;
  /** Latency workload: send → handler start; outbox workload: committed row → consumer. */
  latency?: Percentiles;
  /** Priority workload: how long critical jobs waited, and how fast the low backlog went meanwhile. */
  critical?: Percentiles;
  lowRate?: number;
  clientCpuMs: number;
  /** Undefined when the broker's /proc entry cannot be read. */
  brokerCpuMs?: number;
  peakRssMb: number;
  peakHeapMb: number;
  notes: string[];
  /**
   * Delayed workload: how late each due job started (start − due), and what loading the jobs cost; outbox
   * workload: how late each delayed row reached the consumer.
   */
  lateness?: Percentiles;
  load?: DelayedLoad;
  /** Replicas workload: what every process handled, merged by the orchestrator. */
  replicas?: ReplicaOutcome;
  /** Replicas workload, per process: the job numbers it handled, and when (epoch ms) its first and last began. */
  handled?: number[];
  firstAtMs?: number;
  lastAtMs?: number;
  /** Deliveries the handler saw with attempt > 1 (redeliveries). */
  redelivered?: number;
  /** Jobs the handler saw more than once in this process. */
  duplicates?: number;
  /** Export workload: one line per format. */
  exports?: ExportRun[];
}

/** What `runExportBenchmark` of bench/export-group.ts reports per format. */
export interface ExportRun {
  format: 'jsonl' | 'csv';
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  /** The process's peak RSS while exporting (sampled every 20 ms, and the kernel's high-water mark). */
  peakRssMb: number;
  rssBeforeMb: number;
  seedSeconds: number;
  /** Rows per second of the exporting process's own CPU time: the steadier figure on shared cores. */
  rowsPerCpuSecond?: number;
}

export interface DelayedLoad {
  storedJobs: number;
  dueJobs: number;
  /** Wall time to store the `stored` far jobs and then the `due` ones. */
  storedMs: number;
  dueMs: number;
  /** How long before the first due time the last job was stored (negative: loading overran the lead). */
  marginMs: number;
  /** Space the jobs took: outbox table + indexes, or Redis `used_memory` growth. */
  storageMb?: number;
  /** Far jobs still waiting at the end (must equal `stored`). */
  leftStored?: number;
}

export interface ReplicaOutcome {
  processes: number;
  /** Jobs each process handled. */
  perProcess: number[];
  duplicates: number;
  missing: number;
  redelivered: number;
  peakRssMb: number[];
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}
