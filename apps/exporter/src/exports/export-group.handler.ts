import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects, type GroupExportRequested, type PayloadOf } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { EventPattern, LOGGER, ObjectFiles, OnExhausted, type JobContext } from '@lib/jetstream';
import { EXPORTER_CONFIG, type ExporterConfig } from '../config';
import { EXPORT_FILES } from '../object-buckets';
import { DownloadLinks } from './download-link';
import { GroupExporter } from './export-group';

@Injectable()
export class ExportGroupHandler {
  private readonly exporter: GroupExporter;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(Outbox) outbox: Outbox,
    @Inject(EXPORT_FILES) files: ObjectFiles,
    @Inject(EXPORTER_CONFIG) config: ExporterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.exporter = new GroupExporter(
      dataSource,
      outbox,
      files,
      new DownloadLinks(config.EXPORT_LINK_SECRET),
      {
        batchSize: config.EXPORT_BATCH_SIZE,
        ttlDays: config.EXPORT_TTL_DAYS,
      },
      logger,
    );
  }

  @EventPattern(Subjects.GroupExportRequested)
  async handle(request: PayloadOf<typeof GroupExportRequested>, ctx: JobContext): Promise<void> {
    const outcome = await this.exporter.run(request, ctx.jobId, {
      working: () => ctx.working(),
      signal: ctx.signal,
    });
    const log = { groupId: request.groupId, requestedBy: request.requestedBy, format: request.format };
    if (outcome.status === 'completed') this.logger.info({ ...log, ...outcome }, 'group exported');
    else this.logger.warn({ ...log, ...outcome }, 'group not exported');
  }

  @OnExhausted(Subjects.GroupExportRequested)
  async exhausted(
    _request: PayloadOf<typeof GroupExportRequested>,
    error: Error,
    ctx: JobContext,
  ): Promise<void> {
    await this.exporter.markFailed(ctx.jobId, error.message);
  }
}
