import type { JetStreamManager, KV } from 'nats';
import { KvBuckets } from '../names';
import { isMissingStream } from './admin-errors';

/** Cumulative outcome counters of one subject since the worker process started. */
export interface SubjectTotals {
  processed: number;
  failed: number;
  retried: number;
  dead: number;
  discarded: number;
}

export interface RunningJob {
  subject: string;
  jobId: string | null;
  runningForMs: number;
}

/** One worker process as its last heartbeat in the `workers` bucket describes it. */
export interface WorkerHeartbeat {
  key: string;
  app: string;
  host: string;
  pid: number;
  version: string;
  slots: number;
  inFlight: number;
  waiting: number;
  startedAt: string;
  beatAt: string;
  jobs: RunningJob[];
  totals: Record<string, SubjectTotals>;
}

export const OutcomeNames = ['processed', 'failed', 'retried', 'dead', 'discarded'] as const;

const KeyPrefix = `$KV.${KvBuckets.workers}.`;

/** Reads the worker heartbeats; entries expire by the bucket's TTL once a process stops beating. */
export class WorkerAdmin {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
  ) {}

  /** Opens the bucket without creating it: the worker runtimes own it and its TTL. */
  static async open(jsm: JetStreamManager): Promise<WorkerAdmin> {
    return new WorkerAdmin(jsm, await jsm.jetstream().views.kv(KvBuckets.workers, { bindOnly: true }));
  }

  async list(): Promise<WorkerHeartbeat[]> {
    const workers: WorkerHeartbeat[] = [];
    for (const key of await this.keys()) {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const beat = parseHeartbeat(key, entry.string());
      if (beat) workers.push(beat);
    }
    return workers.sort((a, b) => a.app.localeCompare(b.app) || a.key.localeCompare(b.key));
  }

  /**
   * The keys from the stream's subject counts rather than `kv.keys()`: that one creates a consumer per
   * call, which a dashboard sampling every minute and rendering pages would leave behind by the dozen.
   */
  private async keys(): Promise<string[]> {
    const info = await this.jsm.streams
      .info(`KV_${KvBuckets.workers}`, { subjects_filter: `${KeyPrefix}>` })
      .catch((error: unknown) => {
        if (isMissingStream(error)) return null; // no worker has ever started here
        throw error;
      });
    return Object.keys(info?.state.subjects ?? {}).map((subject) => subject.slice(KeyPrefix.length));
  }
}

/**
 * Heartbeats come from any version of any worker: a field that is missing or malformed gets a neutral
 * value instead of breaking the whole listing, and an entry that is not JSON at all is skipped.
 */
export function parseHeartbeat(key: string, text: string): WorkerHeartbeat | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(raw)) return null;
  const jobs = Array.isArray(raw.jobs) ? raw.jobs.filter(isRecord) : [];
  return {
    key,
    app: str(raw.app, key.split('.')[0]),
    host: str(raw.host, ''),
    pid: num(raw.pid),
    version: str(raw.version, ''),
    slots: num(raw.slots),
    inFlight: num(raw.inFlight),
    waiting: num(raw.waiting),
    startedAt: str(raw.startedAt, ''),
    beatAt: str(raw.beatAt, ''),
    jobs: jobs.map((job) => ({
      subject: str(job.subject, ''),
      jobId: typeof job.jobId === 'string' ? job.jobId : null,
      runningForMs: num(job.runningForMs),
    })),
    totals: parseTotals(raw.totals),
  };
}

function parseTotals(value: unknown): Record<string, SubjectTotals> {
  if (!isRecord(value)) return {};
  const totals: Record<string, SubjectTotals> = {};
  for (const [subject, tally] of Object.entries(value)) {
    if (!isRecord(tally)) continue;
    totals[subject] = {
      processed: num(tally.processed),
      failed: num(tally.failed),
      retried: num(tally.retried),
      dead: num(tally.dead),
      discarded: num(tally.discarded),
    };
  }
  return totals;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
