import type { DataSource, EntityManager } from 'typeorm';

export type InboxOutcome<T> = { duplicate: true } | { duplicate: false; result: T };

/**
 * Applies a message's database effects at most once per consumer: the mark and the effects commit together,
 * so a redelivered message (or a second replica racing on it) finds the mark and changes nothing.
 */
export class Inbox {
  constructor(private readonly dataSource: DataSource) {}

  async once<T>(
    consumer: string,
    msgId: string,
    effects: (manager: EntityManager) => Promise<T>,
  ): Promise<InboxOutcome<T>> {
    return this.dataSource.transaction(async (manager) => {
      // A concurrent twin blocks on the primary key until the first commits, then sees the conflict.
      const marked = (await manager.query(
        `INSERT INTO processed_messages (consumer, msg_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING msg_id`,
        [consumer, msgId],
      )) as unknown[];
      if (marked.length === 0) return { duplicate: true } as const;
      return { duplicate: false, result: await effects(manager) } as const;
    });
  }

  /** Deletes marks older than `olderThan` in batches (no long lock on a big table); returns how many. */
  async prune(olderThan: Date, batchSize = 10_000): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.dataSource.query(
        `DELETE FROM processed_messages WHERE ctid IN (
           SELECT ctid FROM processed_messages WHERE processed_at < $1 LIMIT $2)`,
        [olderThan, batchSize],
      )) as [unknown, number];
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
