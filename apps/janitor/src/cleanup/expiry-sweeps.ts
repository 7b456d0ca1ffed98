import type { DataSource } from 'typeorm';

/** Deletes rows past their age in committed batches: no long transaction on a busy table. */
export class ExpirySweeps {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  /** Login links are good for an hour; older ones can never be redeemed. */
  deleteLoginTokensCreatedBefore(cutoff: Date, afterBatch?: () => void): Promise<number> {
    return this.deleteBefore('login_tokens', cutoff, afterBatch);
  }

  deleteReceivedEmailsCreatedBefore(cutoff: Date, afterBatch?: () => void): Promise<number> {
    return this.deleteBefore('received_emails', cutoff, afterBatch);
  }

  private async deleteBefore(table: string, cutoff: Date, afterBatch?: () => void): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.dataSource.query(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE created_at < $1 LIMIT $2)`,
        [cutoff, this.batchSize],
      )) as [unknown, number];
      total += deleted;
      afterBatch?.();
      if (deleted < this.batchSize) return total;
    }
  }
}
