import { stringify } from 'csv-stringify/sync';
import type { DataSource, QueryRunner } from 'typeorm';
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

/** An exported column and how PostgreSQL names its type (`information_schema.columns.data_type`). */
export interface ExportColumn {
  name: string;
  type: string;
}

/**
 * The export as a stream of text chunks (each batch of rows in parts of about 64 KiB): keyset pagination on
 * `id` per table, so memory holds two batches (one being written, one read ahead) whatever the size of the
 * group. PostgreSQL writes the batch's text itself (`batchQuery`), so Node never handles a row: JSONL is one
 * `{"table": ..., "record": ...}` line per row; CSV is, per table, a title line, a header line, the rows and an
 * empty line, with cells that a spreadsheet would run as a formula prefixed with `'`.
 *
 * The batches go through one connection with JIT compilation off: the per-batch queries are cheap, but their
 * conditions look expensive to the planner, and compiling each of them cost PostgreSQL 0.2 to 3.7 s per batch.
 */
export async function* exportRows(
  dataSource: DataSource,
  options: ExportRowsOptions,
): AsyncGenerator<string> {
  const progress: ExportProgress = { table: '', rows: 0, bytes: 0 };
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SET jit = off`);
    for (const plan of ExportPlan) {
      progress.table = plan.table;
      const columns = await exportableColumns(runner, plan.table);
      if (columns.length === 0) continue;
      if (options.format === 'csv') {
        const head =
          (progress.rows > 0 ? '\n' : '') + csvLines([[plan.table], columns.map((column) => column.name)]);
        progress.bytes += Buffer.byteLength(head);
        yield head;
      }
      const sql = batchQuery(plan, columns, options.format);
      const read = async (afterId: string): Promise<Batch> => {
        const parameters = [options.groupIds, afterId, options.batchSize];
        if (options.format === 'jsonl') parameters.push(jsonlLinePrefix(plan.table));
        const [summary, ...parts] = (await runner.query(sql, parameters)) as BatchRow[];
        return { ...summary, parts: parts.map((part) => part.text) };
      };
      // One batch read ahead: PostgreSQL works on the next batch while this one is written out.
      let next: Promise<Batch> | null = read('0');
      while (next) {
        options.signal?.throwIfAborted();
        const batch: Batch = await next;
        if (batch.keys === 0) break;
        next = batch.keys < options.batchSize ? null : read(batch.last_key);
        // A failed read-ahead is reported when awaited; until then it must not count as unhandled.
        next?.catch(() => undefined);
        if (batch.rows === 0) continue;
        progress.rows += batch.rows;
        for (const part of batch.parts) {
          progress.bytes += Buffer.byteLength(part);
          yield part;
        }
        await options.onBatch?.({ ...progress });
      }
    }
  } finally {
    await runner.query(`RESET jit`).catch(() => undefined);
    await runner.release();
  }
}

/**
 * A batch's text comes in parts of about `PartBytes`: V8 keeps strings this small in its young generation,
 * whose garbage is collected cheaply and often; a 1 MB string per batch went to the large-object space, freed
 * only by full collections, and the heap grew by tens of megabytes between them.
 */
const PartBytes = 64 * 1024;

/** The rows of a batch query: first the counts (`part` -1), then the text in parts. */
interface BatchRow {
  rows: number;
  /** Keys read (rows, or parents when the table is read parent by parent): fewer than a batch ends the table. */
  keys: number;
  last_key: string;
  text: string;
}

type Batch = Omit<BatchRow, 'text'> & { parts: string[] };

/**
 * One batch of `plan`'s table: `$1` the group ids, `$2` the last key of the previous batch, `$3` the batch
 * size, `$4` (JSONL only) the line prefix. Only `columns` are selected, so a column left out never reaches the
 * text.
 */
export function batchQuery(plan: ExportedTable, columns: ExportColumn[], format: ExportFormat): string {
  // JSONL: `b` holds the columns under their names, for row_to_json. CSV: `b` holds the key `k` and each
  // cell's text `c<i>`, computed once, since csvCell reads it several times.
  const [selected, line, key] =
    format === 'jsonl'
      ? [
          columns.map((column) => `t.${quoteIdent(column.name)}`).join(', '),
          `$4::text || row_to_json(b)::text || E'}\\n'`,
          'b.id',
        ]
      : [
          [
            't.id AS k',
            ...columns.map(
              (column, i) => `${cellText(`t.${quoteIdent(column.name)}`, column.type)} AS c${i}`,
            ),
          ].join(', '),
          `${columns.map((column, i) => csvCell(`b.c${i}`, column.type)).join(` || ',' || `)} || E'\\n'`,
          'b.k',
        ];
  const scope = plan.parent
    ? // The parents are the scope: their condition selects exactly the rows that `plan.where` would.
      `parents AS MATERIALIZED (
         SELECT t.id FROM ${quoteIdent(plan.parent.table)} t
         WHERE (${plan.parent.where}) AND t.id > $2 ORDER BY t.id LIMIT $3),
       lines AS MATERIALIZED (
         SELECT ${key} AS key, ${line} AS line FROM (SELECT ${selected} FROM ${quoteIdent(plan.table)} t
           WHERE t.${quoteIdent(plan.parent.column)} IN (SELECT id FROM parents)) b)`
    : `lines AS MATERIALIZED (
         SELECT ${key} AS key, ${line} AS line FROM (SELECT ${selected} FROM ${quoteIdent(plan.table)} t
           WHERE (${plan.where}) AND t.id > $2 ORDER BY t.id LIMIT $3) b)`;
  const [keys, lastKey] = plan.parent
    ? ['(SELECT count(*) FROM parents)', '(SELECT max(id) FROM parents)']
    : ['count(*)', 'max(key)'];
  return `WITH ${scope}
    SELECT -1 AS part, count(*)::int AS rows, ${keys}::int AS keys, ${lastKey}::text AS last_key, NULL AS text
    FROM lines
    UNION ALL
    SELECT part, NULL, NULL, NULL, string_agg(line, '' ORDER BY key)
    FROM (SELECT key, line, sum(octet_length(line)) OVER (ORDER BY key) / ${PartBytes} AS part FROM lines) p
    GROUP BY part
    ORDER BY part`;
}

/** `{"table":"comments","record":` */
function jsonlLinePrefix(table: string): string {
  return `{"table":${JSON.stringify(table)},"record":`;
}

async function exportableColumns(runner: QueryRunner, table: string): Promise<ExportColumn[]> {
  const rows = (await runner.query(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  )) as { column_name: string; data_type: string }[];
  return rows
    .filter((row) => isExportable(table, row.column_name))
    .map((row) => ({ name: row.column_name, type: row.data_type }));
}

const JsonTypes = new Set(['json', 'jsonb', 'ARRAY']);
/** Never escaped or quoted: their text is a number, `true` or `false`. */
const NumberTypes = new Set([
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'boolean',
]);
/** Types whose text is the value itself; any other (times, inet…) is written as its JSONL record has it. */
const PlainTypes = new Set([...NumberTypes, 'text', 'character varying', 'character']);

/** A value's text in a CSV cell: JSON text for JSON and arrays, ISO 8601 for times (as in JSONL records). */
function cellText(value: string, type: string): string {
  if (JsonTypes.has(type)) return `to_json(${value})::text`;
  if (PlainTypes.has(type)) return `${value}::text`;
  return `(to_json(${value}) #>> '{}')`;
}

/** First characters that make a spreadsheet read a cell as a formula (csv-stringify's `escape_formulas`). */
const FormulaStarts = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];

/**
 * A CSV cell as SQL, written as `csv-stringify` with `escape_formulas` writes it (export-rows.integration-spec
 * compares the two): NULL is empty; a text starting with `=`, `+`, `-`, `@`, tab, CR (or their full-width
 * forms) gets a `'` in front, numbers excepted; a cell holding `"`, `,`, CR or LF is quoted, with `"` doubled.
 * `strpos` rather than a regular expression: it scans a 500-byte text twice as fast.
 */
function csvCell(text: string, type: string): string {
  if (NumberTypes.has(type)) return `coalesce(${text}, '')`;
  const starts = FormulaStarts.map(sqlText).join(', ');
  const escaped = `CASE WHEN left(${text}, 1) IN (${starts}) THEN '''' || ${text} ELSE ${text} END`;
  return `CASE WHEN ${text} IS NULL THEN ''
    WHEN strpos(${text}, '"') > 0 THEN '"' || replace(${escaped}, '"', '""') || '"'
    WHEN strpos(${text}, ',') > 0 OR strpos(${text}, E'\\n') > 0 OR strpos(${text}, E'\\r') > 0
      THEN '"' || ${escaped} || '"'
    ELSE ${escaped} END`;
}

/** A string literal; tab and CR as E'\t' and E'\r'. */
function sqlText(value: string): string {
  if (value === '\t') return `E'\\t'`;
  if (value === '\r') return `E'\\r'`;
  return `'${value.replace(/'/g, "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function csvLines(records: unknown[][]): string {
  return stringify(records, { escape_formulas: true, cast: { boolean: (value) => String(value) } });
}
