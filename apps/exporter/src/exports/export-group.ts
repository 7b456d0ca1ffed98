import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { Subjects } from '@lib/contracts';
import type { Outbox } from '@lib/db';
import type { ObjectFiles } from '@lib/jetstream';
import type { DownloadLinks } from './download-link';
import { exportRows, type ExportFormat, type ExportProgress } from './export-rows';

export interface ExportRequest {
  groupId: number;
  requestedBy: number;
  format: ExportFormat;
}

export interface GroupExporterSettings {
  batchSize: number;
  ttlDays: number;
}

export type ExportOutcome =
  | { status: 'completed'; exportId: number; rows: number; bytes: number; groupIds: number[] }
  | { status: 'refused' | 'failed'; exportId: number; reason: string }
  /** A redelivered request whose export already ended. */
  | { status: 'already-ended'; exportId: number };

interface ExportRow {
  id: string;
  status: string;
}

const ContentTypes: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** Object name of an export in the exports bucket. */
export function exportObjectName(exportId: number, format: ExportFormat): string {
  return `exports/${exportId}.${format}`;
}

/**
 * Runs one export request end to end: the `exports` row (one per request, found again on redelivery), the
 * admin check, the file streamed into the object store, then in one transaction the completed row, the
 * `events.export.ready` event and the requester's e-mail with a signed link. A crash while writing leaves no
 * visible object (it appears only once complete); the redelivered request purges the dead attempt's chunks
 * (same upload id) and writes the file again.
 */
export class GroupExporter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly files: ObjectFiles,
    private readonly links: DownloadLinks,
    private readonly settings: GroupExporterSettings,
    private readonly logger: Logger,
  ) {}

  async run(
    request: ExportRequest,
    requestId: string,
    hooks: { working?: () => void; signal?: AbortSignal } = {},
  ): Promise<ExportOutcome> {
    const row = await this.claim(request, requestId);
    const exportId = Number(row.id);
    if (row.status !== 'pending' && row.status !== 'running') return { status: 'already-ended', exportId };
    if (!(await this.groupExists(request.groupId))) {
      return this.end(exportId, 'failed', `Group ${request.groupId} does not exist.`);
    }
    if (!(await this.isAdmin(request.groupId, request.requestedBy))) {
      return this.end(
        exportId,
        'refused',
        `Only an admin of group ${request.groupId} may export it; user ${request.requestedBy} is not one.`,
      );
    }
    const groupIds = await this.exportedGroups(request.groupId, request.requestedBy);
    await this.dataSource.query(
      `UPDATE exports SET status = 'running', row_count = 0, size_bytes = 0, current_table = NULL, error = NULL,
         updated_at = now() WHERE id = $1`,
      [exportId],
    );
    // The upload id is the export's: a restarted export first purges the chunks its dead attempt wrote.
    if (row.status === 'running')
      this.logger.info({ exportId }, 'export restarted after an interrupted attempt');
    const objectKey = exportObjectName(exportId, request.format);
    let latest: ExportProgress = { table: '', rows: 0, bytes: 0 };
    let progressWrittenAt = 0;
    const rows = exportRows(this.dataSource, {
      groupIds,
      format: request.format,
      batchSize: this.settings.batchSize,
      signal: hooks.signal,
      onBatch: async (progress) => {
        latest = progress;
        hooks.working?.();
        // At most once a second: progress is for people watching, not worth a write per batch.
        if (Date.now() - progressWrittenAt < 1000) return;
        progressWrittenAt = Date.now();
        await this.recordProgress(exportId, progress);
      },
    });
    const stored = await this.files.put(objectKey, rows, {
      contentType: ContentTypes[request.format],
      uploadId: `export-${exportId}`,
    });
    await this.complete(exportId, request, objectKey, stored.size, latest.rows);
    return { status: 'completed', exportId, rows: latest.rows, bytes: stored.size, groupIds };
  }

  /** Marks an export failed for good (the request used its last attempt). */
  async markFailed(requestId: string, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE exports SET status = 'failed', error = $2, current_table = NULL, updated_at = now()
       WHERE request_id = $1 AND status IN ('pending', 'running')`,
      [requestId, error.slice(0, 2000)],
    );
  }

  private async claim(request: ExportRequest, requestId: string): Promise<ExportRow> {
    await this.dataSource.query(
      `INSERT INTO exports (group_id, requester_id, format, status, request_id)
       VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT (request_id) DO NOTHING`,
      [request.groupId, request.requestedBy, request.format, requestId],
    );
    const [row] = (await this.dataSource.query(`SELECT id, status FROM exports WHERE request_id = $1`, [
      requestId,
    ])) as ExportRow[];
    return row;
  }

  private async groupExists(groupId: number): Promise<boolean> {
    const rows = (await this.dataSource.query(`SELECT 1 FROM groups WHERE id = $1`, [groupId])) as unknown[];
    return rows.length > 0;
  }

  private async isAdmin(groupId: number, userId: number): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.group_id = $1 AND m.user_id = $2 AND m.admin AND m.accepted_at IS NOT NULL
         AND m.revoked_at IS NULL AND u.deactivated_at IS NULL`,
      [groupId, userId],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The group and, at any depth, the subgroups the requester is an active member of. */
  private async exportedGroups(groupId: number, userId: number): Promise<number[]> {
    const rows = (await this.dataSource.query(
      `WITH RECURSIVE tree AS (
         SELECT id FROM groups WHERE id = $1
         UNION
         SELECT g.id FROM groups g JOIN tree ON g.parent_id = tree.id
         JOIN memberships m ON m.group_id = g.id AND m.user_id = $2
           AND m.accepted_at IS NOT NULL AND m.revoked_at IS NULL
       )
       SELECT id FROM tree ORDER BY id`,
      [groupId, userId],
    )) as { id: string }[];
    return rows.map((row) => Number(row.id));
  }

  private async recordProgress(
    exportId: number,
    progress: ExportProgress,
    working?: () => void,
  ): Promise<void> {
    working?.();
    await this.dataSource.query(
      `UPDATE exports SET row_count = $2, size_bytes = $3, current_table = $4, updated_at = now() WHERE id = $1`,
      [exportId, progress.rows, progress.bytes, progress.table],
    );
  }

  private async complete(
    exportId: number,
    request: ExportRequest,
    objectKey: string,
    bytes: number,
    rows: number,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      const [updated] = (await manager.query(
        `UPDATE exports SET status = 'completed', object_key = $2, size_bytes = $3, row_count = $4,
           current_table = NULL, completed_at = now(), expires_at = now() + make_interval(days => $5),
           updated_at = now()
         WHERE id = $1 AND status = 'running' RETURNING expires_at`,
        [exportId, objectKey, bytes, rows, this.settings.ttlDays],
      )) as [{ expires_at: Date }[], number];
      // Another attempt completed it meanwhile: it sent the event and the e-mail.
      if (updated.length === 0) return;
      await this.outbox.publish(manager, Subjects.ExportReady, {
        exportId,
        groupId: request.groupId,
        requesterId: request.requestedBy,
      });
      await this.outbox.publish(manager, Subjects.DeliverEmail, {
        kind: 'export_ready',
        recipientId: request.requestedBy,
        recordType: 'Export',
        recordId: exportId,
        dedupeKey: `export_ready:${exportId}`,
        linkPath: this.links.pathFor(exportId, updated[0].expires_at),
      });
    });
  }

  private async end(exportId: number, status: 'refused' | 'failed', reason: string): Promise<ExportOutcome> {
    await this.dataSource.query(
      `UPDATE exports SET status = $2, error = $3, updated_at = now() WHERE id = $1 AND status IN ('pending', 'running')`,
      [exportId, status, reason],
    );
    return { status, exportId, reason };
  }
}
