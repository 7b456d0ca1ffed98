import type { DataSource } from 'typeorm';
import type { ObjectFiles } from '@lib/jetstream';

export interface DeletedExports {
  exports: number;
  objects: number;
  abandonedUploads: number;
}

/**
 * Deletes exports past their expiry, oldest first, in batches: the object first, then the row, so a crash in
 * between leaves a row whose next run finds no object and deletes the row. Also purges the chunks of uploads
 * whose writer died (they belong to no object), so a crashed export leaves nothing behind for long.
 */
export async function deleteExpiredExports(
  dataSource: DataSource,
  files: ObjectFiles,
  options: { now?: Date; batchSize?: number; abandonedUploadIdleMs: number; working?: () => void },
): Promise<DeletedExports> {
  const now = options.now ?? new Date();
  const result: DeletedExports = { exports: 0, objects: 0, abandonedUploads: 0 };
  for (;;) {
    const expired = (await dataSource.query(
      `SELECT id, object_key FROM exports WHERE expires_at <= $1 ORDER BY expires_at, id LIMIT $2`,
      [now, options.batchSize ?? 100],
    )) as { id: string; object_key: string | null }[];
    if (expired.length === 0) break;
    for (const row of expired) {
      if (row.object_key && (await files.delete(row.object_key))) result.objects++;
      await dataSource.query(`DELETE FROM exports WHERE id = $1`, [row.id]);
      result.exports++;
    }
    options.working?.();
  }
  result.abandonedUploads = await files.sweepAbandonedUploads(options.abandonedUploadIdleMs);
  return result;
}
