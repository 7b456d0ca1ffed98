import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects, type DownloadAttachment, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, ObjectFiles, type JobContext } from '@lib/jetstream';
import { outboundPolicyFrom, type AddressPolicy } from '@lib/outbound';
import { EXPORTER_CONFIG, type ExporterConfig } from '../config';
import { ATTACHMENT_FILES } from '../object-buckets';
import { downloadAttachment } from './download-attachment';

@Injectable()
export class DownloadAttachmentHandler {
  private readonly policy: AddressPolicy;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ATTACHMENT_FILES) private readonly files: ObjectFiles,
    @Inject(EXPORTER_CONFIG) private readonly config: ExporterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.policy = outboundPolicyFrom(config);
  }

  @EventPattern(Subjects.DownloadAttachment)
  async handle(job: PayloadOf<typeof DownloadAttachment>, ctx: JobContext): Promise<void> {
    const outcome = await downloadAttachment(this.dataSource, this.files, job.attachmentId, {
      policy: this.policy,
      maxBytes: this.config.ATTACHMENT_MAX_BYTES,
      timeoutMs: this.config.ATTACHMENT_TIMEOUT_MS,
      signal: ctx.signal,
    });
    this.logger.info({ attachmentId: job.attachmentId, ...outcome }, 'attachment download ended');
  }
}
