import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { DataSource } from 'typeorm';
import { AllEntities, AllMigrations, createDataSource } from '@lib/db';
import { createTestDatabase, type TestDatabase } from '@lib/testing';
import { batchQuery, type ExportColumn } from '../src/exports/export-rows';

/** Texts that a CSV writer must escape, quote, or leave alone. */
const Texts = [
  'plain',
  '',
  '=HYPERLINK("http://evil.example")',
  '+1-2',
  '-minus',
  '-',
  '@SUM(A1)',
  '\tTAB',
  '\rCR first',
  'a,b',
  'say "hi"',
  'line\nbreak',
  'cr\rinside',
  '\uFF1Dfull-width equals',
  '\uFF0B',
  '\uFF0D1',
  '\uFF20mention',
  "'already quoted",
  'ünïcödé, emoji 🎉 and 中文',
  ' leading space',
  '=',
  '"',
];

// Every row: the condition only has to name $1, as every export condition does.
const Plan = { table: 'csv_cases', where: '$1::bigint[] IS NOT NULL' };

describe('exporter: the batch text PostgreSQL writes (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let columns: ExportColumn[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource({
      url: database.url,
      entities: AllEntities,
      migrations: AllMigrations,
    }).initialize();
    await db.query(`CREATE TYPE csv_mood AS ENUM ('=calm', 'fine')`);
    await db.query(`CREATE TABLE csv_cases (
      id bigint PRIMARY KEY, label text, code varchar(20), amount bigint, ratio double precision, price numeric,
      done boolean, at timestamptz, day date, data jsonb, tags text[], address inet, mood csv_mood)`);
    const rows: unknown[][] = Texts.map((text, i) => [
      i + 1,
      text,
      text.slice(0, 20),
      i % 3 === 0 ? -i : i * 1000,
      i % 2 === 0 ? -1.25 : 3.5,
      i % 2 === 0 ? '-7.5' : '12',
      i % 2 === 0,
      new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i)),
      '2026-11-24',
      { text, list: [1, '=x'] },
      [text, 'b,c'],
      '203.0.113.7',
      i % 2 === 0 ? '=calm' : 'fine',
    ]);
    rows.push([Texts.length + 1, null, null, null, null, null, null, null, null, null, null, null, null]);
    for (const row of rows) {
      await db.query(
        `INSERT INTO csv_cases VALUES (${row.map((_, i) => `$${i + 1}`).join(', ')})`,
        row.map((value) =>
          value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value)
            ? JSON.stringify(value)
            : value,
        ),
      );
    }
    columns = (
      (await db.query(
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_name = 'csv_cases' ORDER BY ordinal_position`,
      )) as { column_name: string; data_type: string }[]
    ).map((row) => ({ name: row.column_name, type: row.data_type }));
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function batch(format: 'jsonl' | 'csv', afterId: number, size: number, only = columns) {
    const parameters: unknown[] = [[1], String(afterId), size];
    if (format === 'jsonl') parameters.push('{"table":"csv_cases","record":');
    const [summary, ...parts] = (await db.query(batchQuery(Plan, only, format), parameters)) as {
      rows: number;
      keys: number;
      last_key: string;
      text: string;
    }[];
    return {
      rows: summary.rows,
      keys: summary.keys,
      last_key: summary.last_key,
      text: parts.map((part) => part.text).join(''),
    };
  }

  it('writes every cell as csv-stringify with escape_formulas writes the same values', async () => {
    const records = (
      (await db.query(`SELECT row_to_json(t)::text AS record FROM csv_cases t ORDER BY id`)) as {
        record: string;
      }[]
    ).map((row) => JSON.parse(row.record) as Record<string, unknown>);
    // What the exporter wrote before PostgreSQL wrote the cells: csv-stringify over the JSON record, JSON and
    // arrays as JSON text (PostgreSQL's spacing, which the record loses when parsed).
    const jsonTexts = (await db.query(
      `SELECT to_json(data)::text AS data, to_json(tags)::text AS tags FROM csv_cases ORDER BY id`,
    )) as { data: string | null; tags: string | null }[];
    const expected = stringify(
      records.map((record, i) =>
        columns.map(({ name }) =>
          name === 'data' ? jsonTexts[i].data : name === 'tags' ? jsonTexts[i].tags : record[name],
        ),
      ),
      { escape_formulas: true, cast: { boolean: (value) => String(value) } },
    );
    const written = await batch('csv', 0, 1000);
    expect(written.rows).toBe(Texts.length + 1);
    expect(written.text.split('\n')).toEqual(expected.split('\n'));
    // And a CSV reader gets the escaped texts back.
    const cells = parse(written.text) as string[][];
    expect(cells.map((row) => row[1])).toEqual([
      ...Texts.map((text) => (/^[-=+@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? `'${text}` : text)),
      '',
    ]);
    expect(cells[0][3]).toBe('0');
    expect(cells[3][3]).toBe('-3');
  });

  it('writes JSONL lines of the selected columns only, and pages by id', async () => {
    const selected = columns.filter((column) => column.name !== 'address');
    const first = await batch('jsonl', 0, 5, selected);
    expect(first).toMatchObject({ rows: 5, keys: 5, last_key: '5' });
    const lines = first.text.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const parsed = lines.map(
      (line) => JSON.parse(line) as { table: string; record: Record<string, unknown> },
    );
    expect(parsed.map((line) => line.table)).toEqual(Array(5).fill('csv_cases'));
    expect(parsed.map((line) => line.record.id)).toEqual([1, 2, 3, 4, 5]);
    expect(Object.keys(parsed[0].record)).toEqual(selected.map((column) => column.name));
    expect(parsed[2].record).toMatchObject({ label: Texts[2], data: { text: Texts[2], list: [1, '=x'] } });
    const last = await batch('jsonl', Texts.length, 5, selected);
    expect(last).toMatchObject({ rows: 1, keys: 1, last_key: String(Texts.length + 1) });
    expect(await batch('jsonl', Texts.length + 1, 5, selected)).toMatchObject({ rows: 0, keys: 0, text: '' });
  });

  it('returns a large batch in parts of about 64 KiB that join to every line in order', async () => {
    await db.query(`CREATE TABLE wide_cases (id bigint PRIMARY KEY, body text)`);
    await db.query(
      `INSERT INTO wide_cases SELECT i, repeat(chr(65 + i % 26), 3000) FROM generate_series(1, 100) i`,
    );
    const wide = [
      { name: 'id', type: 'bigint' },
      { name: 'body', type: 'text' },
    ];
    const parts = (await db.query(batchQuery({ ...Plan, table: 'wide_cases' }, wide, 'jsonl'), [
      [1],
      '0',
      100,
      '{"table":"wide_cases","record":',
    ])) as { rows: number | null; text: string | null }[];
    expect(parts[0]).toMatchObject({ rows: 100, text: null });
    const texts = parts.slice(1).map((part) => part.text!);
    // 100 lines of about 3 KB: five parts, none far above 64 KiB.
    expect(texts.length).toBeGreaterThanOrEqual(4);
    for (const text of texts) expect(Buffer.byteLength(text)).toBeLessThan(64 * 1024 + 3100);
    const ids = texts
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { record: { id: number } }).record.id);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
