import type { DataSource, EntityMetadata, EntityTarget, QueryRunner } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** A row as entity properties; relation properties are refused at run time (write their id columns). */
export type SeedRow<Entity> = Partial<Entity>;

/** A column written from SQL over the other columns of its row, e.g. a tsvector from the text. */
export type DerivedColumnSql = (column: (propertyName: string) => string) => string;

interface ColumnPlan {
  propertyName: string;
  databaseName: string;
  sqlType: string;
  serialize: (value: unknown) => string | null;
}

interface TablePlan {
  tableName: string;
  columns: ColumnPlan[];
  derived: Array<{ databaseName: string; sql: string }>;
  buffer: unknown[][];
  written: number;
}

/**
 * Buffers rows per table and writes them in large batches as
 * `INSERT ... SELECT ... FROM unnest($1::text[], $2::text[], ...)`: one parameter per column whatever the
 * batch size, so a batch is a single statement (far below the 65,535-parameter limit of a multi-row VALUES)
 * and PostgreSQL parses it once. Values travel as text and are cast to the column's type in SQL.
 *
 * At most one batch is in flight, while the caller keeps generating the next rows; node-postgres must not be
 * handed a second query before the first finished.
 */
export class BulkWriter {
  private readonly tables = new Map<EntityTarget<unknown>, TablePlan>();
  private readonly derivedColumns = new Map<EntityTarget<unknown>, Record<string, DerivedColumnSql>>();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queryRunner: QueryRunner,
    private readonly batchSize = 2_000,
  ) {}

  /** Declares columns computed in SQL instead of sent; call before the entity's first row. */
  derive<Entity>(
    entity: EntityTarget<Entity>,
    columns: Partial<Record<keyof Entity, DerivedColumnSql>>,
  ): void {
    this.derivedColumns.set(entity as EntityTarget<unknown>, columns as Record<string, DerivedColumnSql>);
  }

  /**
   * Queues a row. Every row of an entity must name the same properties as its first one (a missing one
   * would be written as NULL, not as the column default).
   */
  async add<Entity>(entity: EntityTarget<Entity>, row: SeedRow<Entity>): Promise<void> {
    const plan = this.planFor(entity as EntityTarget<unknown>, row as Record<string, unknown>);
    const values = row as Record<string, unknown>;
    if (Object.keys(values).length !== plan.columns.length) {
      throw new Error(
        `A ${plan.tableName} row names other columns than the first one: ${Object.keys(values)}`,
      );
    }
    plan.buffer.push(plan.columns.map((column) => column.serialize(values[column.propertyName])));
    if (plan.buffer.length >= this.batchSize) await this.flushTable(plan);
  }

  /** Writes everything still buffered and waits for it. */
  async flush(): Promise<void> {
    for (const plan of this.tables.values()) {
      if (plan.buffer.length > 0) await this.flushTable(plan);
    }
    await this.inFlight;
  }

  /** Rows written per table so far (after `flush`, all of them). */
  rowCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const plan of this.tables.values()) counts[plan.tableName] = plan.written;
    return counts;
  }

  private async flushTable(plan: TablePlan): Promise<void> {
    const rows = plan.buffer;
    plan.buffer = [];
    const columnArrays = plan.columns.map((_, index) => rows.map((row) => row[index]));
    const sql = this.insertSql(plan);
    // Wait for the previous batch only now, so generating this batch overlapped with writing that one.
    await this.inFlight;
    const write = this.queryRunner.query(sql, columnArrays).then(() => {
      plan.written += rows.length;
    });
    // Surface a failure on the next add/flush rather than as an unhandled rejection.
    this.inFlight = write;
    write.catch(() => undefined);
  }

  private insertSql(plan: TablePlan): string {
    const alias = (index: number): string => `c${index}`;
    const target = [
      ...plan.columns.map((column) => column.databaseName),
      ...plan.derived.map((d) => d.databaseName),
    ]
      .map((name) => `"${name}"`)
      .join(', ');
    const casts = plan.columns.map((column, index) => `${alias(index)}::${column.sqlType}`);
    const sources = plan.columns.map((_, index) => `$${index + 1}::text[]`).join(', ');
    const aliases = plan.columns.map((_, index) => alias(index)).join(', ');
    return (
      `INSERT INTO "${plan.tableName}" (${target}) ` +
      `SELECT ${[...casts, ...plan.derived.map((d) => d.sql)].join(', ')} ` +
      `FROM unnest(${sources}) AS input(${aliases})`
    );
  }

  private planFor(entity: EntityTarget<unknown>, firstRow: Record<string, unknown>): TablePlan {
    const existing = this.tables.get(entity);
    if (existing) return existing;
    const metadata = this.dataSource.getMetadata(entity);
    const columns = Object.keys(firstRow).map((propertyName) => this.planColumn(metadata, propertyName));
    const derivedSql = this.derivedColumns.get(entity) ?? {};
    const castOf = (propertyName: string): string => {
      const index = columns.findIndex((column) => column.propertyName === propertyName);
      if (index < 0)
        throw new Error(`${metadata.tableName}: derived column needs ${propertyName} in every row`);
      return `c${index}::${columns[index].sqlType}`;
    };
    const derived = Object.entries(derivedSql).map(([propertyName, sql]) => ({
      databaseName: this.columnOf(metadata, propertyName).databaseName,
      sql: sql(castOf),
    }));
    const plan: TablePlan = { tableName: metadata.tableName, columns, derived, buffer: [], written: 0 };
    this.tables.set(entity, plan);
    return plan;
  }

  private planColumn(metadata: EntityMetadata, propertyName: string): ColumnPlan {
    const column = this.columnOf(metadata, propertyName);
    const baseType =
      column.type === 'enum' || column.type === 'simple-enum'
        ? `"${column.enumName}"`
        : this.dataSource.driver.normalizeType(column);
    const isJson = baseType === 'jsonb' || baseType === 'json';
    const serialize = column.isArray
      ? (value: unknown) => (value == null ? null : toArrayLiteral(value as unknown[]))
      : isJson
        ? (value: unknown) => (value == null ? null : JSON.stringify(value))
        : serializeScalar;
    return {
      propertyName,
      databaseName: column.databaseName,
      sqlType: column.isArray ? `${baseType}[]` : baseType,
      serialize,
    };
  }

  private columnOf(metadata: EntityMetadata, propertyName: string): ColumnMetadata {
    const column = metadata.findColumnWithPropertyName(propertyName);
    if (!column) throw new Error(`${metadata.tableName} has no column for property ${propertyName}`);
    return column;
  }
}

function serializeScalar(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** PostgreSQL array literal of text elements: `{"a","b \"c\""}`. */
function toArrayLiteral(values: unknown[]): string {
  const elements = values.map((value) =>
    value === null || value === undefined
      ? 'NULL'
      : `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
  );
  return `{${elements.join(',')}}`;
}
