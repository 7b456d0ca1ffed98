import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@lib/jetstream';
import { DownloadAttachmentHandler } from './attachments/download-attachment.handler';
import { EXPORTER_CONFIG } from './config';
import { DeleteExpiredExportsHandler } from './exports/delete-expired-exports.handler';
import { ExportDownloadController } from './exports/export-download.controller';
import { ExportGroupHandler } from './exports/export-group.handler';
import { ImportMembersCsvHandler } from './imports/import-members-csv.handler';
import { ObjectBucketProviders } from './object-buckets';
import { GroupStatisticsHandler } from './statistics/group-statistics.handler';

/** Exporter: group exports and their downloads, members CSV imports, attachment downloads. One handler per subject. */
@Module({
  controllers: [ExportDownloadController],
  providers: [
    { provide: EXPORTER_CONFIG, useExisting: SERVICE_CONFIG },
    ...ObjectBucketProviders,
    ExportGroupHandler,
    DeleteExpiredExportsHandler,
    ImportMembersCsvHandler,
    DownloadAttachmentHandler,
    GroupStatisticsHandler,
  ],
})
export class ExporterModule {}
