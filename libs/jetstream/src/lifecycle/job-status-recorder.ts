import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { JobState } from '@lib/db';

/** One change of a job's state; fields left out keep what is known already. Times are epoch ms. */
export interface JobTransition {
  id: string;
  subject: string;
  state: JobState;
  at: number;
  attempt?: number;
  enqueuedAt?: number;
  scheduledFor?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Set with `retrying`; cleared by any later state. */
  nextAttemptAt?: number;
  lastError?: string;
  durationMs?: number;
}

export interface JobStatusSettings {
  flushEveryMs: number;
  /** Rows kept after their last change; older ones are deleted in the background. */
  retentionMs: number;
  /** Transitions held in memory while PostgreSQL is unreachable; the oldest are dropped beyond this. */
  maxPending: number;
}

export const DefaultJobStatusSettings: JobStatusSettings = {
  flushEveryMs: 100,
  retentionMs: 7 * 24 * 3600_000,
  maxPending: 100_000,
};

const Columns = [
  'id',
  'subject',
  'state',
  'attempt',
  'enqueued_at',
  'scheduled_for',
  'started_at',
  'finished_at',
  'next_attempt_at',
  'last_error',
  'duration_ms',
  'updated_at',
] as const;
/** The PostgreSQL type of each of `Columns`, for the arrays `unnest` spreads into rows. */
const ColumnTypes = [
  'text',
  'text',
  'text',
  'int',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'text',
  'int',
  'timestamptz',
] as const;
const RowsPerStatement = 5000;
const MaxErrorLength = 2000;

/** Newer transition wins for a field it carries; an older one (from a slower replica) only fills gaps. */
const newerWins = (column: string) =>
  `${column} = CASE WHEN EXCLUDED.updated_at >= s.updated_at THEN COALESCE(EXCLUDED.${column}, s.${column}) ` +
  `ELSE COALESCE(s.${column}, EXCLUDED.${column}) END`;

const UpsertTail = `ON CONFLICT (id) DO UPDATE SET
  state = CASE WHEN EXCLUDED.state IN ('scheduled', 'enqueued') AND s.state NOT IN ('scheduled', 'enqueued')
    THEN s.state WHEN EXCLUDED.updated_at >= s.updated_at THEN EXCLUDED.state ELSE s.state END,
  attempt = GREATEST(s.attempt, EXCLUDED.attempt),
  enqueued_at = COALESCE(s.enqueued_at, EXCLUDED.enqueued_at),
  ${newerWins('scheduled_for')},
  ${newerWins('started_at')},
  ${newerWins('finished_at')},
  next_attempt_at = CASE WHEN EXCLUDED.updated_at >= s.updated_at THEN EXCLUDED.next_attempt_at ELSE s.next_attempt_at END,
  ${newerWins('last_error')},
  ${newerWins('duration_ms')},
  updated_at = GREATEST(s.updated_at, EXCLUDED.updated_at)`;

/**
 * Keeps `job_statuses` off the hot path: transitions are merged in memory per job id and written every
 * `flushEveryMs` with one multi-row upsert, so a job that starts and completes between two flushes costs one
 * row write, and a thousand jobs cost one statement.
 */
export class JobStatusRecorder {
  private pending = new Map<string, JobTransition>();
  private timer?: NodeJS.Timeout;
  private purgeTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  dropped = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    readonly settings: JobStatusSettings = DefaultJobStatusSettings,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.settings.flushEveryMs);
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => undefined), 10 * 60_000);
    this.timer.unref();
    this.purgeTimer.unref();
  }

  /** Writes what is pending, then stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    this.timer = undefined;
    await this.flush();
  }

  record(transition: JobTransition): void {
    const known = this.pending.get(transition.id);
    if (known === undefined) {
      if (this.pending.size >= this.settings.maxPending) {
        this.dropped++;
        return;
      }
      this.pending.set(transition.id, transition);
      return;
    }
    this.pending.set(transition.id, merge(known, transition));
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write([...batch.values()])
      .catch((error: Error) => {
        this.logger.warn({ err: error, transitions: batch.size }, 'could not write job statuses; will retry');
        for (const transition of batch.values()) this.record(transition);
      })
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Deletes rows unchanged for longer than the retention; any replica may run it. */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(Date.now() - this.settings.retentionMs);
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM job_statuses WHERE id IN (SELECT id FROM job_statuses WHERE updated_at < $1 LIMIT 50000)`,
      [cutoff],
    )) as [unknown, number];
    return deleted;
  }

  /**
   * One statement per chunk with a parameter per column (arrays, spread by `unnest`), not one per value:
   * 12 parameters instead of 12,000 per thousand rows keeps the driver's and the parser's work small.
   */
  private async write(transitions: JobTransition[]): Promise<void> {
    for (let offset = 0; offset < transitions.length; offset += RowsPerStatement) {
      const chunk = transitions.slice(offset, offset + RowsPerStatement);
      const columns: unknown[][] = Columns.map(() => new Array<unknown>(chunk.length));
      chunk.forEach((t, row) => {
        columns[0][row] = t.id;
        columns[1][row] = t.subject;
        columns[2][row] = t.state;
        columns[3][row] = t.attempt ?? 0;
        columns[4][row] = isoOrNull(t.enqueuedAt);
        columns[5][row] = isoOrNull(t.scheduledFor);
        columns[6][row] = isoOrNull(t.startedAt);
        columns[7][row] = isoOrNull(t.finishedAt);
        columns[8][row] = isoOrNull(t.nextAttemptAt);
        columns[9][row] = t.lastError?.slice(0, MaxErrorLength) ?? null;
        columns[10][row] = t.durationMs === undefined ? null : Math.round(t.durationMs);
        columns[11][row] = new Date(t.at).toISOString();
      });
      await this.dataSource.query(
        `INSERT INTO job_statuses AS s (${Columns.join(', ')})
         SELECT * FROM unnest(${ColumnTypes.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
         ${UpsertTail}`,
        columns,
      );
    }
  }
}

/** Waiting states never replace a state the job reached by running (the publisher may report after a worker). */
const Waiting = new Set(['scheduled', 'enqueued']);

function merge(known: JobTransition, next: JobTransition): JobTransition {
  const nextIsNewer = next.at >= known.at && !(Waiting.has(next.state) && !Waiting.has(known.state));
  const [older, newer] = nextIsNewer ? [known, next] : [next, known];
  return {
    ...older,
    ...definedOnly(newer),
    state: newer.state,
    at: newer.at,
    nextAttemptAt: newer.nextAttemptAt,
    attempt: Math.max(older.attempt ?? 0, newer.attempt ?? 0),
    enqueuedAt: known.enqueuedAt ?? next.enqueuedAt,
  };
}

function definedOnly(transition: JobTransition): Partial<JobTransition> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(transition)) if (value !== undefined) result[key] = value;
  return result;
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
