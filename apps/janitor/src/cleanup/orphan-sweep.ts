import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  allTablesParentsFirst,
  Dependencies,
  ModelOfTable,
  type Dependency,
} from '../destroy/dependency-graph';

export interface SweepHooks {
  afterBatch?(): void;
  signal?: AbortSignal;
}

/**
 * delete-orphan-records: rows whose parent is gone (a crash of some other writer, a row added to a thread
 * while it was being destroyed), found through the same dependency graph as the batch deleter. Parents are
 * swept first, so a whole orphaned subtree goes in one run.
 */
export class OrphanSweep {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly batchSize = 1000,
    private readonly dependencies: readonly Dependency[] = Dependencies,
  ) {}

  async sweep(hooks: SweepHooks = {}): Promise<Record<string, number>> {
    const report: Record<string, number> = {};
    for (const table of allTablesParentsFirst(this.dependencies)) {
      const links = this.dependencies.filter((d) => d.child === table);
      if (links.length === 0) continue;
      const orphaned = links
        .map((link) => {
          const typed = link.typeColumn ? ` AND t.${link.typeColumn} = '${ModelOfTable[link.parent]}'` : '';
          return `(t.${link.column} IS NOT NULL${typed} AND NOT EXISTS (SELECT 1 FROM ${link.parent} p WHERE p.id = t.${link.column}))`;
        })
        .join(' OR ');
      let total = 0;
      for (;;) {
        hooks.signal?.throwIfAborted();
        const [, deleted] = (await this.dataSource.query(
          `DELETE FROM ${table} WHERE ctid IN (SELECT t.ctid FROM ${table} t WHERE ${orphaned} LIMIT $1)`,
          [this.batchSize],
        )) as [unknown, number];
        total += deleted;
        hooks.afterBatch?.();
        if (deleted < this.batchSize) break;
      }
      if (total > 0) {
        report[table] = total;
        this.logger.info({ table, deleted: total }, 'orphans deleted');
      }
    }
    return report;
  }
}
