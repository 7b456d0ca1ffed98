import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects, type ImportMembersCsv, type PayloadOf } from '@lib/contracts';
import { Outbox } from '@lib/db';
import {
  DiscardError,
  EventPattern,
  LOGGER,
  ObjectFiles,
  OnExhausted,
  type JobContext,
} from '@lib/jetstream';
import { EXPORTER_CONFIG, type ExporterConfig } from '../config';
import { IMPORT_FILES } from '../object-buckets';
import { MembersCsvImporter } from './import-members-csv';

@Injectable()
export class ImportMembersCsvHandler {
  private readonly importer: MembersCsvImporter;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(Outbox) outbox: Outbox,
    @Inject(IMPORT_FILES) files: ObjectFiles,
    @Inject(EXPORTER_CONFIG) config: ExporterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.importer = new MembersCsvImporter(dataSource, outbox, files, {
      batchSize: config.IMPORT_BATCH_SIZE,
    });
  }

  @EventPattern(Subjects.ImportMembersCsv)
  async handle(job: PayloadOf<typeof ImportMembersCsv>, ctx: JobContext): Promise<void> {
    const outcome = await this.importer.run(job.importId, () => ctx.working());
    if (outcome.status === 'unknown') throw new DiscardError(`Import ${job.importId} does not exist`);
    this.logger.info({ importId: job.importId, ...outcome }, 'members CSV import ended');
  }

  @OnExhausted(Subjects.ImportMembersCsv)
  async exhausted(job: PayloadOf<typeof ImportMembersCsv>, error: Error): Promise<void> {
    await this.importer.markFailed(job.importId, `Gave up after repeated failures: ${error.message}`);
  }
}
