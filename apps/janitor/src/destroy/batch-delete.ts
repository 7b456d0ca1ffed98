import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  Dependencies,
  ModelOfTable,
  parentsFirst,
  reachableFrom,
  type Dependency,
  type DestroyRoot,
} from './dependency-graph';

export interface BatchProgress {
  table: string;
  /** Rows of `table` deleted by this batch. */
  deleted: number;
  /** Batches committed so far by this run, all tables together. */
  batches: number;
}

export interface DestroyHooks {
  /** Called after each committed batch: a job heartbeats here; tests simulate a crash by throwing. */
  afterBatch?(progress: BatchProgress): void | Promise<void>;
  signal?: AbortSignal;
}

/** Rows deleted per table by one run (a resumed run counts only what it deleted itself). */
export type DeletionReport = Record<string, number>;

/**
 * Deletes a record and every row depending on it (see dependency-graph.ts), children first, in batches that
 * each commit on their own, so no transaction holds locks on a whole group and a crash loses at most one
 * batch. Nothing records progress: the walk is derived from what is left. The root rows go last, so until the
 * very end a re-run finds the same root and the same scope, skips the tables already emptied and carries on.
 */
export class BatchDeleter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly batchSize = 1000,
    private readonly dependencies: readonly Dependency[] = Dependencies,
  ) {}

  async destroy(root: DestroyRoot, rootId: number, hooks: DestroyHooks = {}): Promise<DeletionReport> {
    const rootIds = await this.rootIds(root, rootId);
    const report: DeletionReport = {};
    if (rootIds.length === 0) return report;
    let batches = 0;
    for (const table of parentsFirst(root.table, this.dependencies).reverse()) {
      if (table === root.table) continue;
      const statement = this.deleteStatement(root, table);
      let total = 0;
      for (;;) {
        hooks.signal?.throwIfAborted();
        const [, deleted] = (await this.dataSource.query(statement, [rootIds, this.batchSize])) as [
          unknown,
          number,
        ];
        if (deleted === 0) break;
        total += deleted;
        batches += 1;
        this.logger.debug({ root: root.table, rootId, table, deleted, total }, 'batch deleted');
        await hooks.afterBatch?.({ table, deleted, batches });
        if (deleted < this.batchSize) break;
      }
      if (total > 0) {
        report[table] = total;
        this.logger.info({ root: root.table, rootId, table, deleted: total }, 'table cleared');
      }
    }
    // The root rows one by one, deepest first and the record itself last: until it is gone, a re-run
    // still finds every nested row from it.
    let roots = 0;
    for (const id of rootIds) {
      hooks.signal?.throwIfAborted();
      await this.dataSource.query(`DELETE FROM ${root.table} WHERE id = $1`, [id]);
      roots += 1;
      batches += 1;
      await hooks.afterBatch?.({ table: root.table, deleted: 1, batches });
    }
    report[root.table] = roots;
    this.logger.info({ root: root.table, rootId, table: root.table, deleted: roots }, 'table cleared');
    return report;
  }

  /** The record and, for self-nested types, everything nested under it (subgroups, replies), deepest first. */
  async rootIds(root: DestroyRoot, rootId: number): Promise<string[]> {
    const rows = (await this.dataSource.query(
      root.selfParent
        ? `WITH RECURSIVE tree AS (
             SELECT id, 0 AS depth FROM ${root.table} WHERE id = $1
             UNION SELECT child.id, tree.depth + 1 FROM ${root.table} child
               JOIN tree ON child.${root.selfParent} = tree.id WHERE tree.depth < 100)
           SELECT id FROM tree ORDER BY depth DESC, id`
        : `SELECT id FROM ${root.table} WHERE id = $1`,
      [rootId],
    )) as { id: string }[];
    return rows.map((row) => row.id);
  }

  /**
   * `$1` the root ids, `$2` the batch size. Rows are picked by `ctid`, so tables without an `id` (join tables
   * keyed by their parents) are deleted the same way.
   */
  deleteStatement(root: DestroyRoot, table: string): string {
    return `WITH ${this.scopes(root, table).join(',\n')}
      DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${this.belongsToRoot(root, table)} LIMIT $2)`;
  }

  /** One CTE per table above `table` on the way from the root: the ids of its rows that belong to the root. */
  private scopes(root: DestroyRoot, table: string): string[] {
    const above = parentsFirst(root.table, this.dependencies).filter(
      (candidate) => candidate !== table && reachableFrom(candidate, this.dependencies).has(table),
    );
    return above.map((current) =>
      current === root.table
        ? `"scope:${current}" AS (SELECT unnest($1::bigint[]) AS id)`
        : `"scope:${current}" AS (SELECT id FROM ${current} WHERE ${this.belongsToRoot(root, current)})`,
    );
  }

  /** The condition on `table`'s rows: one of their parents under the root is in that parent's scope. */
  private belongsToRoot(root: DestroyRoot, table: string): string {
    const underRoot = reachableFrom(root.table, this.dependencies);
    const links = this.dependencies.filter((d) => d.child === table && underRoot.has(d.parent));
    return links
      .map((link) => {
        const byId = `${link.column} IN (SELECT id FROM "scope:${link.parent}")`;
        return link.typeColumn ? `(${link.typeColumn} = '${ModelOfTable[link.parent]}' AND ${byId})` : byId;
      })
      .join(' OR ');
  }
}
