import type { JetStreamClient } from 'nats';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { CloudEventHeaders, MsgIdHeader } from '@lib/contracts';
import { OutboxChannel, PgListener } from '@lib/db';
import { toNatsHeaders } from './envelope';
import { streamPublisher, type StreamPublish } from './stream-acks';

export interface OutboxRelaySettings {
  batchSize: number;
  /** Sleep at most this long even when nothing is due, as a backstop for a missed notification. */
  maxIdleMs: number;
  /** First pause after PostgreSQL or NATS failed; doubles up to 30 s. */
  retryDelayMs: number;
}

export const DefaultOutboxRelaySettings: OutboxRelaySettings = {
  batchSize: 500,
  maxIdleMs: 5_000,
  retryDelayMs: 500,
};

interface DueRow {
  id: string;
  subject: string;
  headers: Record<string, string>;
  payload: unknown;
}

/**
 * Publishes due outbox rows to NATS. Any number of relays can run: each claims rows with
 * `FOR UPDATE SKIP LOCKED`, publishes them with their id as `Nats-Msg-Id`, and deletes them in the same
 * transaction; a relay that dies mid-batch leaves its rows to the next one, and the stream drops the
 * re-published duplicates. It sleeps until the next row is due or a NOTIFY says a new row arrived.
 */
export class OutboxRelay {
  private stopped = true;
  private wake?: () => void;
  /** Set by a notification; a sleep that starts after it returns at once, so no wake-up is ever missed. */
  private woken = false;
  private loopDone?: Promise<void>;
  private readonly listener: PgListener;
  published = 0;
  private readonly publishToStream: StreamPublish;

  constructor(
    private readonly dataSource: DataSource,
    js: JetStreamClient,
    databaseUrl: string,
    private readonly logger: Logger,
    private readonly settings: OutboxRelaySettings = DefaultOutboxRelaySettings,
  ) {
    const wakeUp = () => {
      this.woken = true;
      this.wake?.();
    };
    this.listener = new PgListener(databaseUrl, OutboxChannel, wakeUp, wakeUp, logger);
    this.publishToStream = streamPublisher(js);
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.listener.start();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
    await this.listener.stop();
  }

  /** Age in seconds of the oldest row that is due but not yet published (0 when none). */
  async lagSeconds(): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(deliver_at)), 0)::float8 AS lag
       FROM outbox_messages WHERE deliver_at <= now()`,
    )) as { lag: number }[];
    return row.lag;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.dataSource.isInitialized) throw new Error('PostgreSQL is not connected yet');
        this.woken = false;
        const relayed = await this.relayBatch();
        failures = 0;
        if (relayed === this.settings.batchSize) continue;
        await this.sleep(await this.msUntilNextDue());
      } catch (error) {
        failures++;
        const delay = Math.min(this.settings.retryDelayMs * 2 ** (failures - 1), 30_000);
        this.logger.warn({ err: error, retryInMs: delay }, 'outbox relay failed; rows stay and are retried');
        await this.sleep(delay);
      }
    }
  }

  /** Publishes one batch of due rows; returns how many it claimed. Throws after commit if some failed. */
  async relayBatch(): Promise<number> {
    const { claimed, failures } = await this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `SELECT id, subject, headers, payload FROM outbox_messages
         WHERE deliver_at <= now() ORDER BY deliver_at, id
         LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.settings.batchSize],
      )) as DueRow[];
      if (rows.length === 0) return { claimed: 0, failures: [] };
      const outcomes = await Promise.allSettled(rows.map((row) => this.publish(row)));
      const published = rows.filter((_, i) => outcomes[i].status === 'fulfilled').map((row) => row.id);
      if (published.length > 0) {
        await manager.query(`DELETE FROM outbox_messages WHERE id = ANY($1)`, [published]);
        await markEnqueued(manager, rows, outcomes);
      }
      const failed: unknown[] = [];
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.status === 'fulfilled') continue;
        failed.push(outcome.reason);
        // Kept (and committed) for the next round, with what went wrong for the operator to see.
        await manager.query(
          `UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2 WHERE id = $1`,
          [rows[i].id, String((outcome.reason as Error)?.message ?? outcome.reason)],
        );
      }
      this.published += published.length;
      return { claimed: rows.length, failures: failed };
    });
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${claimed} outbox rows could not be published`, {
        cause: failures[0],
      });
    }
    return claimed;
  }

  private async publish(row: DueRow): Promise<void> {
    const headers = toNatsHeaders(row.headers);
    if (row.headers[MsgIdHeader] === undefined) headers.set(MsgIdHeader, row.id);
    await this.publishToStream(row.subject, JSON.stringify(row.payload), headers);
  }

  private async msUntilNextDue(): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT EXTRACT(EPOCH FROM min(deliver_at) - now()) * 1000 AS ms FROM outbox_messages`,
    )) as { ms: string | null }[];
    const ms = row.ms === null ? this.settings.maxIdleMs : Math.max(0, Math.ceil(Number(row.ms)));
    return Math.min(ms, this.settings.maxIdleMs);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** Delayed jobs and batch members were recorded `scheduled` when stored (docs/job-lifecycle.md): now they are not. */
async function markEnqueued(
  manager: EntityManager,
  rows: DueRow[],
  outcomes: PromiseSettledResult<void>[],
): Promise<void> {
  const jobIds = rows
    .filter((row, i) => outcomes[i].status === 'fulfilled' && row.headers[CloudEventHeaders.id])
    .map((row) => row.headers[CloudEventHeaders.id]);
  if (jobIds.length === 0) return;
  await manager.query(
    `UPDATE job_statuses SET state = 'enqueued', enqueued_at = COALESCE(enqueued_at, now()), updated_at = now()
     WHERE id = ANY($1) AND state = 'scheduled'`,
    [jobIds],
  );
}
