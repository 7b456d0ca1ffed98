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
/**
 * What each column's array parameter holds: timestamps travel as epoch milliseconds and PostgreSQL turns them
 * into `timestamptz` (a number per row costs the client far less than a `Date` and its ISO string).
 */
const ColumnTypes = [
  'text',
  'text',
  'text',
  'int',
  'float8',
  'float8',
  'float8',
  'float8',
  'float8',
  'text',
  'int',
  'float8',
] as const;
const ColumnValues = Columns.map((column, i) =>
  ColumnTypes[i] === 'float8' ? `to_timestamp(${column} / 1000.0)` : column,
).join(', ');
const UpsertHead = `INSERT INTO job_statuses AS s (${Columns.join(', ')})
  SELECT ${ColumnValues}
  FROM unnest(${ColumnTypes.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) AS r(${Columns.join(', ')})`;
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

/** A publisher's report of a job the table knows already adds nothing a worker has not recorded. */
const InsertOnlyTail = 'ON CONFLICT (id) DO NOTHING';

/**
 * Keeps `job_statuses` off the hot path: transitions are merged in memory per job id and written every
 * `flushEveryMs` with one multi-row upsert, so a job that starts and completes between two flushes costs one
 * row write, and a thousand jobs cost one statement. An attempt's start is held aside and written as
 * `processing` only if the attempt is still running at a flush; its end carries what the start knew.
 *
 * A publisher's `enqueued` report is held for one more flush and then written only where no row exists yet
 * (`DO NOTHING`): a worker elsewhere has usually recorded the job by then, with its enqueue time read from the
 * stream, and the report then costs PostgreSQL a lookup instead of a second row version.
 */
export class JobStatusRecorder {
  private pending = new Map<string, JobTransition>();
  /** Attempts started since the last flush and not finished yet. */
  private running = new Map<string, JobTransition>();
  /** Publishers' `enqueued` reports since the last flush, and those held through one flush already. */
  private held = new Map<string, JobTransition>();
  private heldLonger = new Map<string, JobTransition>();
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
    this.timer = setInterval(() => void this.flush({ holdEnqueued: true }), this.settings.flushEveryMs);
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => undefined), 10 * 60_000);
    this.timer.unref();
    this.purgeTimer.unref();
  }

  /** Writes what is pending, then stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    this.timer = undefined;
    // A write in progress holds only what was pending when it began: what came after needs one more.
    await this.flushing;
    await this.flush();
  }

  /**
   * An attempt begins (`processing`). Not written unless it is still running at the next flush: a quick job's
   * start and end become one row, and its `processing` state never reaches the table.
   */
  recordStart(transition: JobTransition): void {
    if (this.running.size + this.pending.size >= this.settings.maxPending) {
      this.dropped++;
      return;
    }
    this.running.set(transition.id, transition);
  }

  record(transition: JobTransition): void {
    let next = transition;
    if (this.running.size > 0) {
      const start = this.running.get(transition.id);
      if (start !== undefined) {
        this.running.delete(transition.id);
        next = merge(start, transition);
      }
    }
    if (this.held.size + this.heldLonger.size > 0) {
      const enqueued = this.held.get(next.id) ?? this.heldLonger.get(next.id);
      if (enqueued !== undefined) {
        this.held.delete(next.id);
        this.heldLonger.delete(next.id);
        next = merge(enqueued, next);
      }
    }
    const known = this.pending.get(next.id);
    if (known === undefined && next.state === 'enqueued' && next.startedAt === undefined) {
      if (this.held.size + this.heldLonger.size + this.pending.size >= this.settings.maxPending) {
        this.dropped++;
        return;
      }
      this.held.set(next.id, next);
      return;
    }
    if (known === undefined) {
      if (this.pending.size >= this.settings.maxPending) {
        this.dropped++;
        return;
      }
      this.pending.set(next.id, next);
      return;
    }
    this.pending.set(next.id, merge(known, next));
  }

  /**
   * Writes what is pending. The timer passes `holdEnqueued`: publishers' reports of this last interval wait for
   * the next flush; called by anyone else (tests, shutdown), everything is written now.
   */
  async flush(options: { holdEnqueued?: boolean } = {}): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.running.size > 0) {
      const stillRunning = this.running;
      this.running = new Map();
      for (const start of stillRunning.values()) this.record(start);
    }
    const enqueued = this.heldLonger;
    if (options.holdEnqueued) {
      this.heldLonger = this.held;
    } else {
      for (const [id, transition] of this.held) enqueued.set(id, transition);
      this.heldLonger = new Map();
    }
    this.held = new Map();
    if (this.pending.size === 0 && enqueued.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write([...batch.values()], UpsertTail)
      .then(() => this.write([...enqueued.values()], InsertOnlyTail))
      .catch((error: Error) => {
        this.logger.warn(
          { err: error, transitions: batch.size + enqueued.size },
          'could not write job statuses; will retry',
        );
        for (const transition of batch.values()) this.record(transition);
        for (const transition of enqueued.values()) this.record(transition);
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
   * 12 parameters instead of 12,000 per thousand rows keeps the driver's and the parser's work small. Number
   * columns are sent as ready-made array literals, sparing the driver a quoting pass per value.
   */
  private async write(transitions: JobTransition[], tail: string): Promise<void> {
    for (let offset = 0; offset < transitions.length; offset += RowsPerStatement) {
      const chunk = transitions.slice(offset, offset + RowsPerStatement);
      const rows = chunk.length;
      const ids = new Array<string>(rows);
      const subjects = new Array<string>(rows);
      const states = new Array<string>(rows);
      const errors = new Array<string | null>(rows);
      let attempts = '{';
      let enqueued = '{';
      let scheduled = '{';
      let started = '{';
      let finished = '{';
      let nextAttempts = '{';
      let durations = '{';
      let updated = '{';
      for (let row = 0; row < rows; row++) {
        const t = chunk[row];
        const comma = row === 0 ? '' : ',';
        ids[row] = t.id;
        subjects[row] = t.subject;
        states[row] = t.state;
        errors[row] = t.lastError === undefined ? null : t.lastError.slice(0, MaxErrorLength);
        attempts += comma + (t.attempt ?? 0);
        enqueued += comma + numberOrNull(t.enqueuedAt);
        scheduled += comma + numberOrNull(t.scheduledFor);
        started += comma + numberOrNull(t.startedAt);
        finished += comma + numberOrNull(t.finishedAt);
        nextAttempts += comma + numberOrNull(t.nextAttemptAt);
        durations += comma + (t.durationMs === undefined ? 'NULL' : Math.round(t.durationMs));
        updated += comma + t.at;
      }
      await this.dataSource.query(`${UpsertHead}\n${tail}`, [
        ids,
        subjects,
        states,
        attempts + '}',
        enqueued + '}',
        scheduled + '}',
        started + '}',
        finished + '}',
        nextAttempts + '}',
        errors,
        durations + '}',
        updated + '}',
      ]);
    }
  }
}

/** Waiting states never replace a state the job reached by running (the publisher may report after a worker). */
const Waiting = new Set(['scheduled', 'enqueued']);

/** Field by field (no spread: this runs for every job that has two reports within one flush). */
function merge(known: JobTransition, next: JobTransition): JobTransition {
  const nextIsNewer = next.at >= known.at && !(Waiting.has(next.state) && !Waiting.has(known.state));
  const older = nextIsNewer ? known : next;
  const newer = nextIsNewer ? next : known;
  return {
    id: newer.id,
    subject: newer.subject,
    state: newer.state,
    at: newer.at,
    attempt: Math.max(older.attempt ?? 0, newer.attempt ?? 0),
    enqueuedAt: known.enqueuedAt ?? next.enqueuedAt,
    scheduledFor: newer.scheduledFor ?? older.scheduledFor,
    startedAt: newer.startedAt ?? older.startedAt,
    finishedAt: newer.finishedAt ?? older.finishedAt,
    nextAttemptAt: newer.nextAttemptAt,
    lastError: newer.lastError ?? older.lastError,
    durationMs: newer.durationMs ?? older.durationMs,
  };
}

/** Epoch ms as PostgreSQL reads it inside an array literal. */
function numberOrNull(ms: number | undefined): string | number {
  return ms === undefined ? 'NULL' : ms;
}
