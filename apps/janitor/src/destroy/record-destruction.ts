import type { DataSource } from 'typeorm';
import type { ThreadRepair } from '../threads/thread-repair';
import type { BatchDeleter, DeletionReport, DestroyHooks } from './batch-delete';
import type { DestroyRoot } from './dependency-graph';
import { DestroyableTables, DestroyRoots } from './dependency-graph';

/** destroy-discussion, destroy-comment and destroy-tag: immediate hard deletes through the batch deleter. */
export class RecordDestruction {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deleter: BatchDeleter,
    private readonly threads: ThreadRepair,
    private readonly batchSize = 1000,
  ) {}

  /** destroy-record: `table` comes from the contract's allow-list, so it is one of DestroyableTables. */
  destroyRecord(
    table: keyof typeof DestroyableTables,
    id: number,
    hooks?: DestroyHooks,
  ): Promise<DeletionReport> {
    if (table === 'comments') return this.destroyComment(id, hooks);
    const root = DestroyableTables[table] as DestroyRoot | undefined;
    if (!root) throw new Error(`destroy-record does not accept table ${String(table)}`);
    return this.deleter.destroy(root, id, hooks);
  }

  destroyDiscussion(discussionId: number, hooks?: DestroyHooks): Promise<DeletionReport> {
    return this.deleter.destroy(DestroyRoots.discussion, discussionId, hooks);
  }

  /**
   * The comment and its replies, which would otherwise hang under nothing in the thread; then the thread's
   * positions and counts are rebuilt without the removed items (sequence ids of the others stay).
   */
  async destroyComment(commentId: number, hooks?: DestroyHooks): Promise<DeletionReport> {
    const [comment] = (await this.dataSource.query(`SELECT discussion_id FROM comments WHERE id = $1`, [
      commentId,
    ])) as { discussion_id: string }[];
    const report = await this.deleter.destroy(DestroyRoots.comment, commentId, hooks);
    if (comment) await this.threads.repair(Number(comment.discussion_id));
    return report;
  }

  /**
   * Takes the tag's name out of the tag arrays of the discussions and polls of its group and subgroups (in
   * committed batches, resuming from what still carries it), then deletes the tag.
   */
  async destroyTag(tagId: number, hooks: DestroyHooks = {}): Promise<DeletionReport> {
    const [tag] = (await this.dataSource.query(`SELECT group_id, name FROM tags WHERE id = $1`, [tagId])) as {
      group_id: string;
      name: string;
    }[];
    if (!tag) return {};
    const report: DeletionReport = {};
    let batches = 0;
    for (const table of ['discussions', 'polls']) {
      let untagged = 0;
      for (;;) {
        hooks.signal?.throwIfAborted();
        const [, updated] = (await this.dataSource.query(
          `WITH RECURSIVE tree AS (
             SELECT id FROM groups WHERE id = $1
             UNION SELECT g.id FROM groups g JOIN tree ON g.parent_id = tree.id)
           UPDATE ${table} SET tags = array_remove(tags, $2), updated_at = now()
           WHERE id IN (SELECT id FROM ${table} WHERE group_id IN (SELECT id FROM tree) AND tags @> ARRAY[$2]::text[]
                        LIMIT $3)`,
          [tag.group_id, tag.name, this.batchSize],
        )) as [unknown, number];
        if (updated === 0) break;
        untagged += updated;
        batches += 1;
        await hooks.afterBatch?.({ table, deleted: 0, batches });
      }
      if (untagged > 0) report[`${table} untagged`] = untagged;
    }
    return { ...report, ...(await this.deleter.destroy(DestroyRoots.tag, tagId, hooks)) };
  }
}
