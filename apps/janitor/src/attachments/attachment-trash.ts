import type { DataSource, EntityManager } from 'typeorm';
import type { ObjectFiles } from '@lib/jetstream';

/** Where a deleted attachment's file waits, in the attachments bucket, until it is restored or purged. */
export function trashName(key: string): string {
  return `trash/${key}`;
}

export class AttachmentNotRestorableError extends Error {}

export type RestoreOutcome = { restored: true } | { restored: false; reason: 'not deleted' };

export interface TrashSweepReport {
  trashed: number;
  purged: number;
}

interface AttachmentRow {
  id: string;
  key: string;
  deleted_at: Date | null;
  expired: boolean;
}

const DayMs = 24 * 3600_000;

/**
 * The 30-day trash of attachments. The web app deletes an attachment by stamping `deleted_at`; the daily sweep
 * then moves its file from `<key>` to `trash/<key>` (so nothing serves it any more), and once `deleted_at`
 * is older than the retention deletes the file and the row. `undelete-attachment` moves the file back and
 * clears the stamp. Each attachment is handled under a lock on its row, with every step safe to repeat
 * (copy, then stamp, then delete the source), so a crash at any point is redelivered and converges.
 */
export class AttachmentTrash {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: ObjectFiles,
    private readonly retentionDays = 30,
  ) {}

  async restore(key: string): Promise<RestoreOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const attachment = await this.lock(manager, `key = $1`, key);
      if (!attachment) {
        throw new AttachmentNotRestorableError(
          `Attachment ${key} is unknown: it never existed, or its ${this.retentionDays} days in the trash are over and it was purged`,
        );
      }
      const inPlace = (await this.files.info(key)) !== null;
      if (!attachment.deleted_at && inPlace) return { restored: false, reason: 'not deleted' } as const;
      if (attachment.deleted_at && attachment.expired) {
        throw new AttachmentNotRestorableError(
          `Attachment ${key} was deleted more than ${this.retentionDays} days ago; it is purged`,
        );
      }
      if (!inPlace && !(await this.move(trashName(key), key, `restore-${attachment.id}`))) {
        throw new AttachmentNotRestorableError(
          `Attachment ${key} has no file, neither in place nor in the trash`,
        );
      }
      await manager.query(`UPDATE attachments SET deleted_at = NULL, updated_at = now() WHERE id = $1`, [
        attachment.id,
      ]);
      // A copy left in the trash by an attempt that crashed after restoring the file.
      await this.files.delete(trashName(key));
      return { restored: true } as const;
    });
  }

  /** Moves the files of newly deleted attachments to the trash; purges those past the retention. */
  async sweep(afterEach?: () => void): Promise<TrashSweepReport> {
    const report: TrashSweepReport = { trashed: 0, purged: 0 };
    let lastId = '0';
    for (;;) {
      const [next] = (await this.dataSource.query(
        `SELECT id FROM attachments WHERE deleted_at IS NOT NULL AND id > $1 ORDER BY id LIMIT 1`,
        [lastId],
      )) as { id: string }[];
      if (!next) return report;
      lastId = next.id;
      await this.dataSource.transaction(async (manager) => {
        const attachment = await this.lock(manager, `id = $1 AND deleted_at IS NOT NULL`, next.id);
        if (!attachment) return;
        if (attachment.expired) {
          await this.files.delete(trashName(attachment.key));
          await this.files.delete(attachment.key);
          await manager.query(`DELETE FROM attachments WHERE id = $1`, [attachment.id]);
          report.purged += 1;
        } else if (await this.move(attachment.key, trashName(attachment.key), `trash-${attachment.id}`)) {
          report.trashed += 1;
        }
      });
      afterEach?.();
    }
  }

  private async lock(
    manager: EntityManager,
    where: string,
    value: string,
  ): Promise<AttachmentRow | undefined> {
    const [row] = (await manager.query(
      `SELECT id, key, deleted_at, deleted_at < now() - make_interval(secs => $2) AS expired
       FROM attachments WHERE ${where} FOR UPDATE`,
      [value, (this.retentionDays * DayMs) / 1000],
    )) as AttachmentRow[];
    return row;
  }

  /** Copies `from` to `to` (unless a previous attempt did), then deletes `from`; false when `from` is absent. */
  private async move(from: string, to: string, uploadId: string): Promise<boolean> {
    const source = await this.files.get(from);
    if (!source) return false;
    const target = await this.files.info(to);
    if (target && target.digest === source.digest) source.stream.destroy();
    else await this.files.put(to, source.stream, { contentType: source.contentType ?? undefined, uploadId });
    await this.files.delete(from);
    return true;
  }
}
