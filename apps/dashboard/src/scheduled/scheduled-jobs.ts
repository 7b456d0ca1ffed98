import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AttemptsSpentHeader } from '@lib/contracts';
import { AdminNotFoundError } from '@lib/jetstream';

export interface ScheduledJob {
  id: string;
  subject: string;
  /** `retry` rows are failed jobs parked until their backoff ends; `scheduled` ones are delayed jobs. */
  kind: 'scheduled' | 'retry';
  attemptsSpent: number | null;
  deliverAt: string;
  createdAt: string;
  headers: Record<string, string>;
  payload: unknown;
  /** Failed publish attempts of the relay (NATS unreachable, say). */
  publishAttempts: number;
  lastError: string | null;
}

/** All future rows, or only one kind: the retries page is the scheduled page filtered to retries. */
export type ScheduledKind = 'all' | ScheduledJob['kind'];

export interface ScheduledPage {
  jobs: ScheduledJob[];
  total: number;
}

export class ScheduledJobNotFoundError extends AdminNotFoundError {
  override readonly name: string = 'ScheduledJobNotFoundError';
  constructor(readonly id: string) {
    super(`No scheduled job ${id} (already published or deleted?)`);
  }
}

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  subject: string;
  headers: Record<string, string>;
  payload: unknown;
  deliver_at: Date;
  created_at: Date;
  attempts: number;
  last_error: string | null;
}

/** Future `outbox_messages` rows: delayed jobs and long retries, which the scheduler's relay publishes when due. */
@Injectable()
export class ScheduledJobs {
  constructor(private readonly dataSource: DataSource) {}

  async list(limit = 50, offset = 0, kind: ScheduledKind = 'all'): Promise<ScheduledPage> {
    // Retries are the rows the runtime parked with the attempts they already spent (worker-runtime.ts).
    const filter = kind === 'all' ? '' : kind === 'retry' ? 'AND headers ? $1' : 'AND NOT (headers ? $1)';
    const kindParams = kind === 'all' ? [] : [AttemptsSpentHeader];
    const at = kindParams.length;
    const rows = (await this.dataSource.query(
      `SELECT id, subject, headers, payload, deliver_at, created_at, attempts, last_error
         FROM outbox_messages WHERE deliver_at > now() ${filter}
        ORDER BY deliver_at, id LIMIT $${at + 1} OFFSET $${at + 2}`,
      [...kindParams, limit, offset],
    )) as Row[];
    const [{ count }] = (await this.dataSource.query(
      `SELECT count(*)::int AS count FROM outbox_messages WHERE deliver_at > now() ${filter}`,
      kindParams,
    )) as { count: number }[];
    return { jobs: rows.map(toJob), total: count };
  }

  /**
   * Makes the row due now; the table's trigger NOTIFYs the relay, which publishes it within milliseconds.
   * A row that became due meanwhile is already on its way, which is what was asked.
   */
  async runNow(id: string): Promise<void> {
    this.checkId(id);
    const [rows] = (await this.dataSource.query(
      `UPDATE outbox_messages SET deliver_at = now() WHERE id = $1 AND deliver_at > now() RETURNING id`,
      [id],
    )) as [unknown[], number];
    if (rows.length === 0) throw new ScheduledJobNotFoundError(id);
  }

  async delete(id: string): Promise<void> {
    this.checkId(id);
    const [rows] = (await this.dataSource.query(
      `DELETE FROM outbox_messages WHERE id = $1 AND deliver_at > now() RETURNING id`,
      [id],
    )) as [unknown[], number];
    if (rows.length === 0) throw new ScheduledJobNotFoundError(id);
  }

  /** Not a uuid cannot be a row: answer "not found" rather than let PostgreSQL reject the cast. */
  private checkId(id: string): void {
    if (!Uuid.test(id)) throw new ScheduledJobNotFoundError(id);
  }
}

function toJob(row: Row): ScheduledJob {
  const spent = Number.parseInt(row.headers[AttemptsSpentHeader] ?? '', 10);
  return {
    id: row.id,
    subject: row.subject,
    kind: Number.isFinite(spent) ? 'retry' : 'scheduled',
    attemptsSpent: Number.isFinite(spent) ? spent : null,
    deliverAt: row.deliver_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    headers: row.headers,
    payload: row.payload,
    publishAttempts: row.attempts,
    lastError: row.last_error,
  };
}
