import type { DataSource } from 'typeorm';
import { addHeadingIds } from './heading-ids';

/** The HTML rich-text fields, each with the column saying whether it holds HTML or Markdown. */
export const RichTextFields = [
  { table: 'discussions', column: 'description', format: 'description_format' },
  { table: 'comments', column: 'body', format: 'body_format' },
  { table: 'polls', column: 'details', format: 'details_format' },
  { table: 'outcomes', column: 'statement', format: 'statement_format' },
  { table: 'stances', column: 'reason', format: 'reason_format' },
  { table: 'groups', column: 'description', format: 'description_format' },
] as const;

export interface BackfillHooks {
  afterBatch?(progress: { field: string; lastId: string; updated: number }): void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * add-heading-ids: each field is walked by id in batches. A batch is one transaction that locks the field's
 * row in `heading_id_progress`, rewrites the rows of the batch that gained an id, and moves the cursor past
 * the batch; so a run killed mid-way resumes after its last committed batch and never reads a finished row
 * again, and two runs never work on the same field at once. Rows created later are picked up by the next run;
 * to scan everything again, delete the progress rows.
 */
export class HeadingIdBackfill {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  async run(hooks: BackfillHooks = {}): Promise<Record<string, number>> {
    const updated: Record<string, number> = {};
    for (const field of RichTextFields) {
      const name = `${field.table}.${field.column}`;
      await this.dataSource.query(
        `INSERT INTO heading_id_progress (field) VALUES ($1) ON CONFLICT (field) DO NOTHING`,
        [name],
      );
      updated[name] = 0;
      for (;;) {
        hooks.signal?.throwIfAborted();
        const batch = await this.dataSource.transaction(async (manager) => {
          const [{ last_id: lastId }] = (await manager.query(
            `SELECT last_id FROM heading_id_progress WHERE field = $1 FOR UPDATE`,
            [name],
          )) as { last_id: string }[];
          const rows = (await manager.query(
            `SELECT id, ${field.column} AS html, ${field.format} AS format FROM ${field.table}
             WHERE id > $1 ORDER BY id LIMIT $2`,
            [lastId, this.batchSize],
          )) as { id: string; html: string | null; format: string }[];
          if (rows.length === 0) return { lastId, read: 0, changed: 0 };
          let changed = 0;
          for (const row of rows) {
            if (row.format !== 'html' || !row.html) continue;
            const result = addHeadingIds(row.html);
            if (result.added === 0) continue;
            await manager.query(`UPDATE ${field.table} SET ${field.column} = $2 WHERE id = $1`, [
              row.id,
              result.html,
            ]);
            changed += 1;
          }
          const newLastId = rows[rows.length - 1].id;
          await manager.query(
            `UPDATE heading_id_progress SET last_id = $2, updated_at = now() WHERE field = $1`,
            [name, newLastId],
          );
          return { lastId: newLastId, read: rows.length, changed };
        });
        if (batch.read === 0) break;
        updated[name] += batch.changed;
        await hooks.afterBatch?.({ field: name, lastId: batch.lastId, updated: batch.changed });
        if (batch.read < this.batchSize) break;
      }
    }
    return updated;
  }
}
