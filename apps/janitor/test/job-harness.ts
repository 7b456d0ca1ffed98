import type { NatsConnection, StoredMsg } from 'nats';
import type { DataSource } from 'typeorm';
import { DomainModelTables } from '@lib/db/migrations/1790000000000-domain-model';
import { waitFor } from '@lib/testing';

/** A digest of every row of every domain table: equal digests mean nothing changed. */
export async function databaseDigest(db: DataSource): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for (const table of DomainModelTables) {
    const [row] = (await db.query(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS h FROM ${table} t`,
    )) as { n: number; h: string }[];
    digest[table] = `${row.n}:${row.h}`;
  }
  return digest;
}

/** Publishes a job and waits for its dead letter. */
export async function publishAndAwaitDeadLetter(
  client: NatsConnection,
  subject: string,
  payload: unknown,
): Promise<StoredMsg> {
  const ack = await client.jetstream().publish(subject, JSON.stringify(payload));
  const jsm = await client.jetstreamManager();
  return waitFor(async () => {
    const info = await jsm.streams.info('DLQ').catch(() => null);
    if (!info || info.state.messages === 0) return null;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage('DLQ', { seq }).catch(() => null);
      if (msg?.header.get('Dlq-Stream-Seq') === String(ack.seq)) return msg;
    }
    return null;
  });
}
