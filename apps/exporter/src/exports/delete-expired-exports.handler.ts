import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, ObjectFiles, type JobContext } from '@lib/jetstream';
import { EXPORTER_CONFIG, type ExporterConfig } from '../config';
import { EXPORT_FILES } from '../object-buckets';
import { deleteExpiredExports } from './delete-expired-exports';

@Injectable()
export class DeleteExpiredExportsHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(EXPORT_FILES) private readonly files: ObjectFiles,
    @Inject(EXPORTER_CONFIG) private readonly config: ExporterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DeleteExpiredExports)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const deleted = await deleteExpiredExports(this.dataSource, this.files, {
      abandonedUploadIdleMs: this.config.ABANDONED_UPLOAD_IDLE_MS,
      working: () => ctx.working(),
    });
    this.logger.info(deleted, 'deleted expired exports');
  }
}
