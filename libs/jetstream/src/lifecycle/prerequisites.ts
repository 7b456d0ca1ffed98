import { randomUUID } from 'node:crypto';
import type { JsMsg } from 'nats';
import type { DataSource } from 'typeorm';
import { AttemptsSpentHeader, CloudEventHeaders, MsgIdHeader, type Contract } from '@lib/contracts';
import { insertOutboxRow } from '@lib/db';
import type { JobContext } from '../job-context';

/** The ids of the jobs a job waits for, comma-separated; set by `publish(…, { prerequisites })`. */
export const PrerequisitesHeader = 'Job-Prerequisites';
/** How often the job was held already: each hold's backstop re-check waits twice as long as the last. */
export const PrerequisiteHoldsHeader = 'Job-Prerequisite-Holds';
/** Epoch ms of the delivery that first held the job (a parked job is a new message each time). */
export const PrerequisitesSinceHeader = 'Job-Prerequisites-Since';

export interface PrerequisiteSettings {
  /**
   * A prerequisite found neither in `job_statuses` nor in the outbox this long after its dependant was
   * enqueued fails the dependant: a typo, a job of a subject with `trackStatus: false`, or one past retention.
   */
  unknownGraceMs: number;
  /** A held job is re-checked after this long even if no completion woke it (doubling per hold). */
  firstRecheckMs: number;
  maxRecheckMs: number;
}

export const DefaultPrerequisiteSettings: PrerequisiteSettings = {
  unknownGraceMs: 60_000,
  firstRecheckMs: 5_000,
  maxRecheckMs: 5 * 60_000,
};

export type PrerequisiteVerdict =
  | { kind: 'ready' }
  | { kind: 'failed'; reason: string }
  /** `pending`: the ids not completed yet; `recheckInMs`: when to look again if nothing wakes the job. */
  | { kind: 'waiting'; pending: string[]; recheckInMs: number };

const MaxPrerequisites = 100;

/** The headers a job carries to wait for `ids`; for the outbox (`DelayedJobs.enqueue(…, { headers })`). */
export function prerequisiteHeaders(ids: readonly string[]): Record<string, string> {
  if (ids.length === 0) return {};
  if (ids.length > MaxPrerequisites)
    throw new Error(`A job may wait for at most ${MaxPrerequisites} prerequisites, not ${ids.length}`);
  for (const id of ids) {
    if (!id || /[,\s]/.test(id)) throw new Error(`Invalid prerequisite job id ${JSON.stringify(id)}`);
  }
  return { [PrerequisitesHeader]: [...new Set(ids)].join(',') };
}

/**
 * For the publisher: only a subject that tracks its status can wait, because the runtime checks prerequisites
 * where it reads the job's headers anyway (to record its status), and jobs of other subjects pay nothing.
 */
export function headersWithPrerequisites(
  contract: Contract,
  ids: readonly string[],
  headers: Record<string, string> | undefined,
): Record<string, string> {
  if (contract.options.trackStatus === false)
    throw new Error(`${contract.subject} has trackStatus: false, so its jobs cannot wait for prerequisites`);
  return { ...headers, ...prerequisiteHeaders(ids) };
}

const Final = new Set(['completed', 'failed', 'dead', 'cancelled']);

/**
 * Decides at delivery whether a job that names prerequisites may run, and holds it when not: the job is parked
 * in the outbox (acked, so it holds no `max_ack_pending` slot and spends no delivery) with a row in
 * `job_prerequisite_waits` per prerequisite still pending. When `job_statuses` records one of them as final, a
 * trigger (migration 1802000000000) re-times the parked row to now and the relay publishes it again at once.
 */
export class Prerequisites {
  constructor(
    private readonly dataSource: DataSource,
    readonly settings: PrerequisiteSettings = DefaultPrerequisiteSettings,
  ) {}

  /** The comma-separated ids of the job's `Job-Prerequisites` header. */
  static parse(header: string): string[] {
    return header.split(',').filter((id) => id !== '');
  }

  async verdict(ids: readonly string[], waitingSince: number, holds = 0): Promise<PrerequisiteVerdict> {
    const rows = (await this.dataSource.query(`SELECT id, state FROM job_statuses WHERE id = ANY($1)`, [
      ids,
    ])) as { id: string; state: string }[];
    const states = new Map(rows.map((row) => [row.id, row.state]));
    const pending: string[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const state = states.get(id);
      if (state === undefined) unknown.push(id);
      else if (state !== 'completed' && Final.has(state))
        return { kind: 'failed', reason: `prerequisite ${id} ${state}` };
      else if (state !== 'completed') pending.push(id);
    }
    if (unknown.length > 0) {
      // Delayed jobs wait in the outbox before they have a status.
      const scheduled = (await this.dataSource.query(
        `SELECT DISTINCT headers->>'${CloudEventHeaders.id}' AS id FROM outbox_messages
         WHERE headers->>'${CloudEventHeaders.id}' = ANY($1)`,
        [unknown],
      )) as { id: string }[];
      const known = new Set(scheduled.map((row) => row.id));
      const missing = unknown.filter((id) => !known.has(id));
      const graceLeftMs = waitingSince + this.settings.unknownGraceMs - Date.now();
      if (missing.length > 0 && graceLeftMs <= 0)
        return {
          kind: 'failed',
          reason:
            `prerequisite ${missing[0]} unknown: no status after ${this.settings.unknownGraceMs / 1000} s of waiting ` +
            '(never enqueued, of a subject with trackStatus: false, or past the status retention)',
        };
      pending.push(...unknown);
      if (missing.length > 0)
        return { kind: 'waiting', pending, recheckInMs: this.recheckMs(holds, graceLeftMs) };
    }
    if (pending.length === 0) return { kind: 'ready' };
    return { kind: 'waiting', pending, recheckInMs: this.recheckMs(holds) };
  }

  /**
   * Parks the delivery in the outbox until a prerequisite reaches a final state (or the backstop re-check), with
   * its attempt unspent. The caller acks the delivery once this returned.
   */
  async hold(
    msg: JsMsg,
    ctx: JobContext,
    verdict: Extract<PrerequisiteVerdict, { kind: 'waiting' }>,
  ): Promise<void> {
    const outboxId = randomUUID();
    const jobId = ctx.jobId;
    const holds = holdsOf(ctx);
    const headers = {
      ...ctx.headers,
      [AttemptsSpentHeader]: String(ctx.attempt - 1),
      [PrerequisiteHoldsHeader]: String(holds + 1),
      [PrerequisitesSinceHeader]: String(waitingSinceOf(msg, ctx)),
      // A fresh dedup id: the job's own may still be inside the stream's duplicate window.
      [MsgIdHeader]: `${jobId}:held:${outboxId}`,
    };
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM job_prerequisite_waits WHERE job_id = $1`, [jobId]);
      await insertOutboxRow(manager, {
        id: outboxId,
        subject: msg.subject,
        headers,
        payload: JSON.parse(Buffer.from(msg.data).toString('utf8')) as unknown,
        deliverAt: new Date(Date.now() + verdict.recheckInMs),
      });
      await manager.query(
        `INSERT INTO job_prerequisite_waits (prerequisite_id, job_id, outbox_id)
         SELECT unnest($1::text[]), $2, $3`,
        [verdict.pending, jobId, outboxId],
      );
    });
    // A prerequisite that became final while we were parking released nothing: look once more.
    const now = await this.verdict(verdict.pending, waitingSinceOf(msg, ctx), holds);
    if (now.kind !== 'waiting')
      await this.dataSource.query(
        `UPDATE outbox_messages SET deliver_at = now() WHERE id = $1 AND deliver_at > now()`,
        [outboxId],
      );
  }

  /** Drops what a job that was held left behind, once it runs or fails. */
  async forget(jobId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM job_prerequisite_waits WHERE job_id = $1`, [jobId]);
  }

  private recheckMs(holds: number, atMostMs = Infinity): number {
    const backstop = Math.min(
      this.settings.firstRecheckMs * 2 ** Math.min(holds, 20),
      this.settings.maxRecheckMs,
    );
    return Math.max(100, Math.min(backstop, atMostMs + 100));
  }
}

export function holdsOf(ctx: JobContext): number {
  const value = Number.parseInt(ctx.header(PrerequisiteHoldsHeader) ?? '0', 10);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** When the job first met its prerequisites check: the unknown-id grace period counts from there. */
export function waitingSinceOf(msg: JsMsg, ctx: JobContext): number {
  const since = Number.parseInt(ctx.header(PrerequisitesSinceHeader) ?? '', 10);
  return Number.isFinite(since) ? since : Math.floor(msg.info.timestampNanos / 1e6);
}
