import { stringify } from 'csv-stringify/sync';
import type { DataSource } from 'typeorm';
import { isExportable } from './export-columns';
import { ExportPlan, type ExportedTable } from './export-plan';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportProgress {
  table: string;
  rows: number;
  bytes: number;
}

export interface ExportRowsOptions {
  groupIds: number[];
  format: ExportFormat;
  batchSize: number;
  /** Called after each batch with the totals so far (progress on the row, heartbeat of the job). */
  onBatch?: (progress: ExportProgress) => Promise<void> | void;
  signal?: AbortSignal;
}

/**
 * The export as a stream of text chunks, one per batch of rows: keyset pagination on `id` per table, so memory
 * holds two batches (one being written, one read ahead) whatever the size of the group. PostgreSQL builds each JSON record itself (`row_to_json`).
 * JSONL: one `{"table": ..., "record": ...}` line per row. CSV: per table a title line, a header line, the
 * rows and an empty line; cells that a spreadsheet would run as a formula are prefixed with `'`.
 */
export async function* exportRows(
  dataSource: DataSource,
  options: ExportRowsOptions,
): AsyncGenerator<string> {
  const progress: ExportProgress = { table: '', rows: 0, bytes: 0 };
  for (const plan of ExportPlan) {
    progress.table = plan.table;
    const columns = await exportableColumns(dataSource, plan.table);
    if (columns.length === 0) continue;
    if (options.format === 'csv') {
      const head = (progress.rows > 0 ? '\n' : '') + csvLines([[plan.table], columns]);
      progress.bytes += Buffer.byteLength(head);
      yield head;
    }
    const read = (afterId: string) =>
      readBatch(dataSource, plan, columns, options.groupIds, afterId, options.batchSize);
    // One batch read ahead: PostgreSQL works on the next batch while this one is written out.
    let next: Promise<Batch> | null = read('0');
    while (next) {
      options.signal?.throwIfAborted();
      const batch: Batch = await next;
      if (batch.length === 0) break;
      next = batch.length < options.batchSize ? null : read(batch[batch.length - 1].id);
      // A failed read-ahead is reported when awaited; until then it must not count as unhandled.
      next?.catch(() => undefined);
      const chunk =
        options.format === 'jsonl'
          ? batch.map((row) => `{"table":${JSON.stringify(plan.table)},"record":${row.record}}\n`).join('')
          : csvLines(
              batch.map((row) => csvCells(columns, JSON.parse(row.record) as Record<string, unknown>)),
            );
      progress.rows += batch.length;
      progress.bytes += Buffer.byteLength(chunk);
      yield chunk;
      await options.onBatch?.({ ...progress });
    }
  }
}

type Batch = { id: string; record: string }[];

async function exportableColumns(dataSource: DataSource, table: string): Promise<string[]> {
  const rows = (await dataSource.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  )) as { column_name: string }[];
  return rows.map((row) => row.column_name).filter((column) => isExportable(table, column));
}

async function readBatch(
  dataSource: DataSource,
  plan: ExportedTable,
  columns: string[],
  groupIds: number[],
  afterId: string,
  limit: number,
): Promise<{ id: string; record: string }[]> {
  const selected = columns.map((column) => `t."${column}"`).join(', ');
  return (await dataSource.query(
    `SELECT b.id::text AS id, row_to_json(b)::text AS record
     FROM (SELECT ${selected} FROM "${plan.table}" t
           WHERE (${plan.where}) AND t.id > $2 ORDER BY t.id LIMIT $3) b
     ORDER BY b.id`,
    [groupIds, afterId, limit],
  )) as { id: string; record: string }[];
}

function csvCells(columns: string[], record: Record<string, unknown>): unknown[] {
  return columns.map((column) => {
    const value = record[column];
    return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
  });
}

function csvLines(records: unknown[][]): string {
  return stringify(records, { escape_formulas: true, cast: { boolean: (value) => String(value) } });
}
