import type { DataSource, EntityManager } from 'typeorm';

export interface TagRenameReport {
  discussions: number;
  polls: number;
  renamed: number;
  merged: number;
}

const TreeOf = `WITH RECURSIVE tree AS (
  SELECT id FROM groups WHERE id = $1
  UNION SELECT g.id FROM groups g JOIN tree ON g.parent_id = tree.id)`;

/**
 * update-tag: renames a tag across a group and its subgroups. The tag arrays of discussions and polls are
 * rewritten in committed batches (resuming from the rows still carrying the old name), keeping each array's
 * order and dropping the duplicate a merge would create; then, in one transaction, the tag rows are renamed
 * (or merged into an existing tag of the new name), recoloured and recounted.
 */
export class TagRename {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  async rename(
    groupId: number,
    oldName: string,
    newName: string,
    color?: string | null,
    afterBatch?: () => void,
  ): Promise<TagRenameReport> {
    const report: TagRenameReport = { discussions: 0, polls: 0, renamed: 0, merged: 0 };
    if (oldName !== newName) {
      for (const table of ['discussions', 'polls'] as const) {
        for (;;) {
          const [, updated] = (await this.dataSource.query(
            `${TreeOf}
             UPDATE ${table} SET updated_at = now(), tags = ARRAY(
               SELECT tag FROM unnest(array_replace(tags, $2, $3)) WITH ORDINALITY AS u(tag, n)
               GROUP BY tag ORDER BY min(n))
             WHERE id IN (SELECT id FROM ${table} WHERE group_id IN (SELECT id FROM tree)
                          AND tags @> ARRAY[$2]::text[] LIMIT $4)`,
            [groupId, oldName, newName, this.batchSize],
          )) as [unknown, number];
          report[table] += updated;
          afterBatch?.();
          if (updated < this.batchSize) break;
        }
      }
    }
    return this.dataSource.transaction(async (manager) => {
      if (oldName !== newName) {
        const [, merged] = (await manager.query(
          `${TreeOf}
           DELETE FROM tags old WHERE old.group_id IN (SELECT id FROM tree) AND old.name = $2
             AND EXISTS (SELECT 1 FROM tags t WHERE t.group_id = old.group_id AND t.name = $3)`,
          [groupId, oldName, newName],
        )) as [unknown, number];
        const [, renamed] = (await manager.query(
          `${TreeOf}
           UPDATE tags SET name = $3, updated_at = now() WHERE group_id IN (SELECT id FROM tree) AND name = $2`,
          [groupId, oldName, newName],
        )) as [unknown, number];
        Object.assign(report, { merged, renamed });
      }
      await this.recolourAndRecount(manager, groupId, newName, color);
      return report;
    });
  }

  private async recolourAndRecount(
    manager: EntityManager,
    groupId: number,
    name: string,
    color: string | null | undefined,
  ): Promise<void> {
    await manager.query(
      `${TreeOf}
       UPDATE tags t SET updated_at = now(),
         color = CASE WHEN $3::boolean THEN $4 ELSE t.color END,
         taggings_count = (SELECT count(*) FROM discussions d WHERE d.group_id = t.group_id AND d.tags @> ARRAY[t.name::text])
                        + (SELECT count(*) FROM polls p WHERE p.group_id = t.group_id AND p.tags @> ARRAY[t.name::text])
       WHERE t.group_id IN (SELECT id FROM tree) AND t.name = $2`,
      [groupId, name, color !== undefined, color ?? null],
    );
  }
}
