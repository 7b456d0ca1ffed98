import type { DataSource } from 'typeorm';
import type { Outbox } from '@lib/db';
import type { BatchDeleter, DeletionReport, DestroyHooks } from './batch-delete';
import { DestroyRoots } from './dependency-graph';

/** How long an archived group waits before its hard delete: the time its admins have to object. */
export const GroupDestroyGraceMs = 14 * 24 * 3600_000;

export type ArchiveOutcome =
  | { archived: false; reason: 'unknown-group' }
  | { archived: true; archivedAt: Date; purgeAt: Date; admins: number[]; groups: number };

export type PurgeOutcome =
  | { purged: false; reason: 'unknown-group' | 'un-archived' | 'archived-again' }
  | { purged: true; report: DeletionReport };

/**
 * destroy-group in two steps. Now: archive the group and its subgroups, warn each admin and store the hard
 * delete as a delayed job, all in one transaction. Fourteen days later: purge, unless the group was
 * un-archived meanwhile. The purge job carries the archive stamp it was scheduled for, so a group that was
 * un-archived and destroyed again is only purged by the job of its latest destroy.
 */
export class GroupDestruction {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly deleter: BatchDeleter,
    private readonly graceMs = GroupDestroyGraceMs,
  ) {}

  async archive(groupId: number): Promise<ArchiveOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const [group] = (await manager.query(`SELECT archived_at FROM groups WHERE id = $1 FOR UPDATE`, [
        groupId,
      ])) as { archived_at: Date | null }[];
      if (!group) return { archived: false, reason: 'unknown-group' } as const;
      // A redelivered destroy finds the stamp of its first attempt and schedules the same purge again:
      // the purge is idempotent and the warnings are deduplicated by key.
      const [{ now }] = (await manager.query(`SELECT now() AS now`)) as { now: Date }[];
      const archivedAt = group.archived_at ?? now;
      const [, archivedGroups] = (await manager.query(
        `WITH RECURSIVE tree AS (
           SELECT id FROM groups WHERE id = $1
           UNION SELECT g.id FROM groups g JOIN tree ON g.parent_id = tree.id)
         UPDATE groups SET archived_at = $2, updated_at = now()
         WHERE id IN (SELECT id FROM tree) AND archived_at IS NULL`,
        [groupId, archivedAt],
      )) as [unknown, number];
      const admins = (
        (await manager.query(
          `SELECT DISTINCT user_id FROM memberships
           WHERE group_id = $1 AND admin AND revoked_at IS NULL AND accepted_at IS NOT NULL ORDER BY user_id`,
          [groupId],
        )) as { user_id: string }[]
      ).map((row) => Number(row.user_id));
      const stamp = new Date(archivedAt).getTime();
      for (const recipientId of admins) {
        await this.outbox.publish(manager, 'jobs.notifier.deliver-email', {
          kind: 'group_destroy_warning',
          recipientId,
          recordType: 'Group',
          recordId: groupId,
          dedupeKey: `group_destroy_warning:${groupId}:${stamp}:${recipientId}`,
        });
      }
      const purgeAt = new Date(stamp + this.graceMs);
      await this.outbox.publish(
        manager,
        'jobs.janitor.purge-group',
        { groupId, archivedAt: new Date(archivedAt).toISOString() },
        { deliverAt: purgeAt },
      );
      return { archived: true, archivedAt, purgeAt, admins, groups: archivedGroups } as const;
    });
  }

  async purge(groupId: number, archivedAt: string, hooks?: DestroyHooks): Promise<PurgeOutcome> {
    const [group] = (await this.dataSource.query(`SELECT archived_at FROM groups WHERE id = $1`, [
      groupId,
    ])) as { archived_at: Date | null }[];
    if (!group) return { purged: false, reason: 'unknown-group' };
    if (!group.archived_at) return { purged: false, reason: 'un-archived' };
    if (new Date(group.archived_at).getTime() !== new Date(archivedAt).getTime()) {
      return { purged: false, reason: 'archived-again' };
    }
    return { purged: true, report: await this.deleter.destroy(DestroyRoots.group, groupId, hooks) };
  }
}
