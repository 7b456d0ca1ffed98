import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  cloudEventHeaders,
  contractFor,
  newTraceParent,
  validatePayload,
  type ContractMap,
} from '@lib/contracts';

export interface OutboxPublishOptions {
  /** Publish no earlier than this (a delayed job); default now. */
  deliverAt?: Date;
  /** The event id (`ce-id` and `Nats-Msg-Id`); defaults to the row id. Reuse it to make a re-send a duplicate. */
  msgId?: string;
  traceparent?: string;
  headers?: Record<string, string>;
}

export interface OutboxEntry {
  id: string;
  deliverAt: Date;
}

/**
 * Messages written in the caller's transaction: they reach NATS if and only if the transaction commits
 * (the relay in the scheduler publishes them). Validated against the contract before anything is stored.
 */
export class Outbox {
  constructor(
    private readonly contracts: ContractMap,
    private readonly source: string,
  ) {}

  async publish(
    manager: EntityManager,
    subject: string,
    data: unknown,
    options: OutboxPublishOptions = {},
  ): Promise<OutboxEntry> {
    const payload = validatePayload(contractFor(this.contracts, subject), data);
    const id = randomUUID();
    const headers = {
      ...cloudEventHeaders({
        id: options.msgId ?? id,
        subject,
        source: this.source,
        traceparent: options.traceparent ?? newTraceParent(),
      }),
      ...options.headers,
    };
    return insertOutboxRow(manager, { id, subject, headers, payload, deliverAt: options.deliverAt });
  }
}

export interface OutboxRow {
  id: string;
  subject: string;
  headers: Record<string, string>;
  payload: unknown;
  deliverAt?: Date;
}

export async function insertOutboxRow(manager: EntityManager, row: OutboxRow): Promise<OutboxEntry> {
  const [inserted] = (await manager.query(
    `INSERT INTO outbox_messages (id, subject, headers, payload, deliver_at)
     VALUES ($1, $2, $3, $4, COALESCE($5, now()))
     RETURNING deliver_at`,
    [row.id, row.subject, JSON.stringify(row.headers), JSON.stringify(row.payload), row.deliverAt ?? null],
  )) as { deliver_at: Date }[];
  return { id: row.id, deliverAt: inserted.deliver_at };
}

export type DelayedJobTiming = { delayMs: number; runAt?: never } | { runAt: Date; delayMs?: never };

/** perform_in / perform_at: a job stored now and published by the relay when it is due. */
export class DelayedJobs {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  /** Stores the job (in `manager`'s transaction when given) and returns its id, which cancels it. */
  async enqueue(
    subject: string,
    data: unknown,
    timing: DelayedJobTiming,
    options: Omit<OutboxPublishOptions, 'deliverAt'> & { manager?: EntityManager } = {},
  ): Promise<OutboxEntry> {
    const deliverAt = timing.runAt ?? new Date(Date.now() + timing.delayMs!);
    if (Number.isNaN(deliverAt.getTime())) throw new Error(`Invalid time for ${subject}`);
    const { manager, ...publishOptions } = options;
    return this.outbox.publish(manager ?? this.dataSource.manager, subject, data, {
      ...publishOptions,
      deliverAt,
    });
  }

  /** True when the job was still waiting and is now gone; false when it was already published or unknown. */
  async cancel(id: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const [, deleted] = (await manager.query(`DELETE FROM outbox_messages WHERE id = $1`, [id])) as [
      unknown,
      number,
    ];
    return deleted > 0;
  }

  async pending(manager: EntityManager = this.dataSource.manager): Promise<OutboxRow[]> {
    const rows = (await manager.query(
      `SELECT id, subject, headers, payload, deliver_at FROM outbox_messages
       WHERE deliver_at > now() ORDER BY deliver_at, id LIMIT 1000`,
    )) as {
      id: string;
      subject: string;
      headers: Record<string, string>;
      payload: unknown;
      deliver_at: Date;
    }[];
    return rows.map((r) => ({
      id: r.id,
      subject: r.subject,
      headers: r.headers,
      payload: r.payload,
      deliverAt: r.deliver_at,
    }));
  }
}

/**
 * Parks a job's long retry in the outbox, so that waiting does not hold one of the consumer's
 * `max_ack_pending` slots; the spent attempts travel in the headers.
 */
export class OutboxRetryScheduler {
  constructor(private readonly dataSource: DataSource) {}

  async schedule(retry: {
    subject: string;
    data: Uint8Array;
    headers: Record<string, string>;
    deliverAt: Date;
  }): Promise<void> {
    const id = randomUUID();
    // A fresh dedup id: the original one may still be inside the stream's duplicate window.
    const headers = { ...retry.headers, 'Nats-Msg-Id': `${retry.headers['ce-id'] ?? id}:retry:${id}` };
    const payload = JSON.parse(Buffer.from(retry.data).toString('utf8')) as unknown;
    await insertOutboxRow(this.dataSource.manager, {
      id,
      subject: retry.subject,
      headers,
      payload,
      deliverAt: retry.deliverAt,
    });
  }
}
