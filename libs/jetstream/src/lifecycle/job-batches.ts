import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  BatchIdHeader,
  cloudEventHeaders,
  contractFor,
  newTraceParent,
  validatePayload,
  type ContractMap,
} from '@lib/contracts';
import { insertOutboxRow, type BatchCallback } from '@lib/db';

/** The states after which a job never runs again. */
export type FinalJobState = 'completed' | 'failed' | 'dead' | 'cancelled';

export interface BatchMemberOutcome {
  batchId: string;
  jobId: string;
  subject: string;
  state: FinalJobState;
  error?: string;
}

/** Where the runtime reports a batch member's final state; it must be stored before the message is acked. */
export interface BatchMemberRecorder {
  recordFinal(member: BatchMemberOutcome): Promise<void>;
}

export interface BatchJob {
  subject: string;
  payload: unknown;
  /** The job id (`ce-id`, `Nats-Msg-Id`); a random UUID by default. Must be unique: a member the stream drops as a duplicate never finishes. */
  id?: string;
  /** Publish no earlier than this (the member is `scheduled` until then). */
  deliverAt?: Date;
  headers?: Record<string, string>;
}

export interface BatchCallbacks {
  /** Queued once every member reached a final state, whatever their outcome. */
  onComplete?: BatchCallback;
  /** Queued once every member completed; never when one failed, died or was cancelled. */
  onSuccess?: BatchCallback;
}

export interface BatchOutcome {
  batchId: string;
  name: string;
  total: number;
  succeeded: number;
  failed: number;
  failures: {
    jobId: string;
    subject: string;
    state: Exclude<FinalJobState, 'completed'>;
    error: string | null;
  }[];
}

export interface CreatedBatch {
  id: string;
  jobIds: string[];
}

export const MaxListedFailures = 100;
/** Finished batches (and their members' rows) are kept this long, like job statuses. */
export const BatchRetentionMs = 7 * 24 * 3600_000;
const MaxErrorLength = 2000;

/**
 * Batches of jobs with a completion callback (docs/job-lifecycle.md, "Batches"). Members go through the outbox in
 * the transaction that creates the batch, so a crash mid-creation leaves no batch and no member; each member's
 * final state is stored (once, whatever the redeliveries) before its message is acked, and the transaction whose
 * member makes the count reach the total marks the batch finished and queues the callbacks in the outbox.
 */
export class JobBatches implements BatchMemberRecorder {
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly contracts: ContractMap,
    private readonly source: string,
  ) {}

  /** Purges batches finished longer ago than the retention, every 10 minutes (any replica may). */
  start(): void {
    if (this.purgeTimer) return;
    this.purgeTimer = setInterval(() => void this.purgeFinished().catch(() => undefined), 10 * 60_000);
    this.purgeTimer.unref();
  }

  stop(): void {
    clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
  }

  /** Deletes up to `limit` batches finished before the retention, with their members; returns how many. */
  async purgeFinished(retentionMs = BatchRetentionMs, limit = 10_000): Promise<number> {
    const [{ purged }] = (await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM job_batches WHERE id IN (
           SELECT id FROM job_batches WHERE finished_at < now() - $1 * interval '1 millisecond' LIMIT $2
         ) RETURNING id
       ), members AS (
         DELETE FROM job_batch_members WHERE batch_id IN (SELECT id FROM gone)
       )
       SELECT count(*)::int AS purged FROM gone`,
      [retentionMs, limit],
    )) as { purged: number }[];
    return purged;
  }

  /** Creates the batch and queues its members, in `manager`'s transaction when given. */
  async create(
    name: string,
    jobs: readonly BatchJob[],
    callbacks: BatchCallbacks,
    manager?: EntityManager,
  ): Promise<CreatedBatch> {
    const run = async (tx: EntityManager) => {
      const batch = await this.open(tx, name, callbacks);
      const jobIds = await batch.add(jobs);
      await batch.seal();
      return { id: batch.id, jobIds };
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  /**
   * For members added a page at a time: the batch cannot finish before `seal()` fixes its total. Call all three
   * in one transaction (members reach NATS only when it commits).
   */
  async open(manager: EntityManager, name: string, callbacks: BatchCallbacks): Promise<OpenBatch> {
    const id = randomUUID();
    const sample: BatchOutcome = { batchId: id, name, total: 0, succeeded: 0, failed: 0, failures: [] };
    for (const callback of [callbacks.onComplete, callbacks.onSuccess]) {
      if (callback)
        validatePayload(contractFor(this.contracts, callback.subject), callbackPayload(callback, sample));
    }
    await manager.query(
      `INSERT INTO job_batches (id, name, on_complete, on_success) VALUES ($1, $2, $3, $4)`,
      [id, name, jsonOrNull(callbacks.onComplete), jsonOrNull(callbacks.onSuccess)],
    );
    return new OpenBatch(manager, id, this.contracts, this.source);
  }

  /**
   * Counts the member once (the first final state stored wins), in one statement: the batch's row stays locked
   * only for that statement's commit, since all members of a batch queue on it. Then, if the count reached the
   * total, finishes the batch. Finishing is checked even when the member was counted already: a worker that
   * died between the two steps leaves the message unacked, and its redelivery finishes the batch.
   */
  async recordFinal(member: BatchMemberOutcome): Promise<void> {
    const succeeded = member.state === 'completed' ? 1 : 0;
    let [counters] = rowsOf<Counters>(
      await this.dataSource.query(
        `WITH member AS (
           INSERT INTO job_batch_members (batch_id, job_id, subject, final_state, error)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING batch_id
         )
         UPDATE job_batches b SET succeeded = b.succeeded + $6, failed = b.failed + $7
         FROM member WHERE b.id = member.batch_id
         RETURNING b.total, b.succeeded, b.failed, b.finished_at`,
        [
          member.batchId,
          member.jobId,
          member.subject,
          member.state,
          truncated(member.error),
          succeeded,
          1 - succeeded,
        ],
      ),
    );
    counters ??= rowsOf<Counters>(
      await this.dataSource.query(
        `SELECT total, succeeded, failed, finished_at FROM job_batches WHERE id = $1`,
        [member.batchId],
      ),
    )[0];
    if (!counters || counters.finished_at !== null || counters.total === null) return;
    if (counters.succeeded + counters.failed < counters.total) return;
    await this.dataSource.transaction((manager) => finishIfDone(manager, member.batchId, this.source));
  }

  /** The batch's counters, or null when unknown. */
  async outcome(batchId: string): Promise<(BatchOutcome & { finishedAt: Date | null }) | null> {
    const [row] = (await this.dataSource.query(
      `SELECT id, name, total, succeeded, failed, finished_at FROM job_batches WHERE id = $1`,
      [batchId],
    )) as (BatchRow & { finished_at: Date | null })[];
    if (!row) return null;
    return { ...(await outcomeOf(this.dataSource.manager, row)), finishedAt: row.finished_at };
  }
}

/** A batch being filled; see `JobBatches.open`. */
export class OpenBatch {
  private added = 0;

  constructor(
    private readonly manager: EntityManager,
    readonly id: string,
    private readonly contracts: ContractMap,
    private readonly source: string,
  ) {}

  /** Queues members through the outbox (one statement per call) and returns their job ids. */
  async add(jobs: readonly BatchJob[]): Promise<string[]> {
    if (jobs.length === 0) return [];
    const rowIds: string[] = [];
    const jobIds: string[] = [];
    const subjects: string[] = [];
    const headers: string[] = [];
    const payloads: string[] = [];
    const deliverAts: (Date | null)[] = [];
    const tracked: number[] = [];
    for (const job of jobs) {
      const contract = contractFor(this.contracts, job.subject);
      const payload = validatePayload(contract, job.payload);
      const jobId = job.id ?? randomUUID();
      if (contract.options.trackStatus !== false) tracked.push(jobIds.length);
      rowIds.push(randomUUID());
      jobIds.push(jobId);
      subjects.push(job.subject);
      headers.push(
        JSON.stringify({
          ...cloudEventHeaders({
            id: jobId,
            subject: job.subject,
            source: this.source,
            traceparent: newTraceParent(),
          }),
          ...job.headers,
          [BatchIdHeader]: this.id,
        }),
      );
      payloads.push(JSON.stringify(payload));
      deliverAts.push(job.deliverAt ?? null);
    }
    await this.manager.query(
      `INSERT INTO outbox_messages (id, subject, headers, payload, deliver_at)
       SELECT id, s, h, p, COALESCE(d, now())
       FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[], $5::timestamptz[]) AS m(id, s, h, p, d)`,
      [rowIds, subjects, headers, payloads, deliverAts],
    );
    await recordScheduled(
      this.manager,
      tracked.map((i) => ({ id: jobIds[i], subject: subjects[i], deliverAt: deliverAts[i] })),
    );
    this.added += jobs.length;
    return jobIds;
  }

  /** Fixes the total; a batch with no members (or whose members all finished already) finishes now. */
  async seal(): Promise<void> {
    await this.manager.query(`UPDATE job_batches SET total = $2 WHERE id = $1 AND total IS NULL`, [
      this.id,
      this.added,
    ]);
    await finishIfDone(this.manager, this.id, this.source);
  }
}

/**
 * Writes `scheduled` rows to `job_statuses` for jobs stored in the outbox, in the caller's transaction. A row
 * already there (the job ran already) is left alone; the runtime's later transitions replace `scheduled`.
 */
export async function recordScheduled(
  manager: EntityManager,
  jobs: readonly { id: string; subject: string; deliverAt?: Date | null }[],
): Promise<void> {
  if (jobs.length === 0) return;
  await manager.query(
    `INSERT INTO job_statuses (id, subject, state, scheduled_for, updated_at)
     SELECT id, s, 'scheduled', COALESCE(d, now()), now()
     FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS j(id, s, d)
     ON CONFLICT (id) DO NOTHING`,
    [jobs.map((job) => job.id), jobs.map((job) => job.subject), jobs.map((job) => job.deliverAt ?? null)],
  );
}

interface Counters {
  total: number | null;
  succeeded: number;
  failed: number;
  finished_at: Date | null;
}

/** TypeORM answers an UPDATE (even inside a WITH) with [rows, affected], anything else with the rows. */
function rowsOf<T>(result: unknown): T[] {
  const rows = result as unknown[];
  return (Array.isArray(rows[0]) ? rows[0] : rows) as T[];
}

interface BatchRow {
  id: string;
  name: string;
  total: number;
  succeeded: number;
  failed: number;
}

/**
 * Marks the batch finished if every member is counted and queues its callbacks. The row lock taken by this
 * UPDATE serialises the members' transactions: exactly one sees `finished_at` still empty.
 */
async function finishIfDone(manager: EntityManager, batchId: string, source: string): Promise<void> {
  const [row] = rowsOf<BatchRow & { on_complete: BatchCallback | null; on_success: BatchCallback | null }>(
    await manager.query(
      `UPDATE job_batches SET finished_at = now()
       WHERE id = $1 AND finished_at IS NULL AND total IS NOT NULL AND succeeded + failed >= total
       RETURNING id, name, total, succeeded, failed, on_complete, on_success`,
      [batchId],
    ),
  );
  if (!row) return;
  const outcome = await outcomeOf(manager, row);
  const callbacks: [string, BatchCallback | null][] = [
    ['complete', row.on_complete],
    ['success', outcome.failed === 0 ? row.on_success : null],
  ];
  for (const [kind, callback] of callbacks) {
    if (!callback) continue;
    const id = `batch:${batchId}:${kind}`;
    await insertOutboxRow(manager, {
      id: randomUUID(),
      subject: callback.subject,
      headers: cloudEventHeaders({ id, subject: callback.subject, source, traceparent: newTraceParent() }),
      payload: callbackPayload(callback, outcome),
    });
  }
}

async function outcomeOf(manager: EntityManager, row: BatchRow): Promise<BatchOutcome> {
  const failures = (await manager.query(
    `SELECT job_id AS "jobId", subject, final_state AS state, error FROM job_batch_members
     WHERE batch_id = $1 AND final_state <> 'completed' ORDER BY finished_at, job_id LIMIT $2`,
    [row.id, MaxListedFailures],
  )) as BatchOutcome['failures'];
  return {
    batchId: row.id,
    name: row.name,
    total: row.total ?? 0,
    succeeded: row.succeeded,
    failed: row.failed,
    failures,
  };
}

function callbackPayload(callback: BatchCallback, outcome: BatchOutcome): Record<string, unknown> {
  return { ...callback.payload, ...outcome };
}

function jsonOrNull(callback: BatchCallback | undefined): string | null {
  return callback ? JSON.stringify(callback) : null;
}

function truncated(error: string | undefined): string | null {
  if (error === undefined) return null;
  return error.length > MaxErrorLength ? `${error.slice(0, MaxErrorLength)}…` : error;
}
