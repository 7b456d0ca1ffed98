import type { DataSource, EntityManager } from 'typeorm';

export type SearchableType = 'Discussion' | 'Comment' | 'Poll';
export const SearchableTypes: readonly SearchableType[] = ['Discussion', 'Comment', 'Poll'];

/** The rows a sync covers: records by their own id, or every record of some discussions. */
type Scope = 'id' | 'discussion_id';

/** Plain text of rich text: tags dropped, the five XML entities decoded (`&amp;` last), whitespace collapsed. */
const text = (html: string) => {
  const stripped = `regexp_replace(coalesce(${html}, ''), '<[^>]+>', ' ', 'g')`;
  const decoded = [
    ['&lt;', '<'],
    ['&gt;', '>'],
    ['&quot;', '"'],
    ['&#39;', "''"],
    ['&amp;', '&'],
  ].reduce((sql, [entity, char]) => `replace(${sql}, '${entity}', '${char}')`, stripped);
  return `btrim(regexp_replace(${decoded}, '\\s+', ' ', 'g'))`;
};

/**
 * What the index should hold for each type: one row per live record (not discarded, nor in a discarded
 * thread), built from the record as it is now; `$1` holds the ids of the scope.
 */
const Indexable: Record<SearchableType, { table: string; select: (scope: Scope) => string }> = {
  Discussion: {
    table: 'discussions',
    select: (scope) => `
      SELECT d.id AS searchable_id, d.group_id, d.id AS discussion_id, NULL::bigint AS poll_id, d.author_id,
             btrim(d.title || ' ' || ${text('d.description')}) AS content, d.created_at AS authored_at
      FROM discussions d WHERE d.discarded_at IS NULL AND d.${scope} = ANY($1::bigint[])`,
  },
  Comment: {
    table: 'comments',
    select: (scope) => `
      SELECT c.id AS searchable_id, d.group_id, c.discussion_id, NULL::bigint AS poll_id, c.author_id,
             ${text('c.body')} AS content, c.created_at AS authored_at
      FROM comments c JOIN discussions d ON d.id = c.discussion_id AND d.discarded_at IS NULL
      WHERE c.discarded_at IS NULL AND c.${scope} = ANY($1::bigint[])`,
  },
  Poll: {
    table: 'polls',
    select: (scope) => `
      SELECT p.id AS searchable_id, p.group_id, p.discussion_id, p.id AS poll_id, p.author_id,
             btrim(p.title || ' ' || ${text('p.details')}) AS content, p.created_at AS authored_at
      FROM polls p LEFT JOIN discussions d ON d.id = p.discussion_id
      WHERE p.discarded_at IS NULL AND d.discarded_at IS NULL AND p.${scope} = ANY($1::bigint[])`,
  },
};

export interface RebuildHooks {
  afterBatch?(progress: { type: SearchableType; upToId: number }): void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Keeps `search_documents` in step with discussions, comments and polls. Every sync reads the records as
 * they are now and upserts or deletes their rows, so events may arrive late, twice or out of order: the
 * last sync wins and equals what a full rebuild writes.
 */
export class SearchIndex {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  /** A discussion's own row, and the rows of its comments and polls, which follow the thread's state. */
  async syncDiscussions(ids: number[], manager?: EntityManager): Promise<void> {
    await this.sync('Discussion', 'id', ids, manager);
    await this.sync('Comment', 'discussion_id', ids, manager);
    await this.sync('Poll', 'discussion_id', ids, manager);
  }

  syncComments(ids: number[], manager?: EntityManager): Promise<void> {
    return this.sync('Comment', 'id', ids, manager);
  }

  syncPolls(ids: number[], manager?: EntityManager): Promise<void> {
    return this.sync('Poll', 'id', ids, manager);
  }

  /** Every record in committed batches, then the rows whose record is gone. */
  async rebuild(hooks: RebuildHooks = {}): Promise<{ indexed: number; removed: number }> {
    let indexed = 0;
    let removed = 0;
    for (const type of SearchableTypes) {
      const { table } = Indexable[type];
      for (let after = 0; ;) {
        hooks.signal?.throwIfAborted();
        const rows = (await this.dataSource.query(
          `SELECT id FROM ${table} WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, this.batchSize],
        )) as { id: string }[];
        if (rows.length === 0) break;
        const ids = rows.map((row) => Number(row.id));
        await this.sync(type, 'id', ids);
        indexed += ids.length;
        after = ids[ids.length - 1];
        await hooks.afterBatch?.({ type, upToId: after });
      }
      for (;;) {
        hooks.signal?.throwIfAborted();
        const [, deleted] = (await this.dataSource.query(
          `DELETE FROM search_documents WHERE ctid IN (
             SELECT sd.ctid FROM search_documents sd
             WHERE sd.searchable_type = $1 AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.id = sd.searchable_id)
             LIMIT $2)`,
          [type, this.batchSize],
        )) as [unknown, number];
        removed += deleted;
        if (deleted < this.batchSize) break;
      }
    }
    return { indexed, removed };
  }

  private async sync(
    type: SearchableType,
    scope: Scope,
    ids: number[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    if (ids.length === 0) return;
    const live = Indexable[type].select(scope);
    await manager.query(
      `INSERT INTO search_documents AS sd
         (searchable_type, searchable_id, group_id, discussion_id, poll_id, author_id, content, ts_content,
          authored_at)
       SELECT $2::varchar, searchable_id, group_id, discussion_id, poll_id, author_id, content,
              to_tsvector('simple', content), authored_at
       FROM (${live}) live
       ON CONFLICT (searchable_type, searchable_id) DO UPDATE SET
         group_id = EXCLUDED.group_id, discussion_id = EXCLUDED.discussion_id, poll_id = EXCLUDED.poll_id,
         author_id = EXCLUDED.author_id, content = EXCLUDED.content, ts_content = EXCLUDED.ts_content,
         authored_at = EXCLUDED.authored_at, updated_at = now()
       WHERE (sd.group_id, sd.discussion_id, sd.poll_id, sd.author_id, sd.content, sd.authored_at)
         IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.discussion_id, EXCLUDED.poll_id, EXCLUDED.author_id,
                           EXCLUDED.content, EXCLUDED.authored_at)
         OR sd.ts_content IS NULL`,
      [ids, type],
    );
    const documentScope = scope === 'id' ? 'searchable_id' : 'discussion_id';
    await manager.query(
      `DELETE FROM search_documents
       WHERE searchable_type = $2 AND ${documentScope} = ANY($1::bigint[])
         AND searchable_id NOT IN (SELECT searchable_id FROM (${live}) live)`,
      [ids, type],
    );
  }
}
