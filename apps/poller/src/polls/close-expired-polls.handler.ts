import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { POLLER_CONFIG, type PollerConfig } from '../config';
import { ExpiredPollCloser } from './close-expired-polls';

@Injectable()
export class CloseExpiredPollsHandler {
  private readonly closer: ExpiredPollCloser;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(Outbox) outbox: Outbox,
    @Inject(POLLER_CONFIG) config: PollerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.closer = new ExpiredPollCloser(dataSource, outbox, {
      batchSize: config.POLLER_BATCH_SIZE,
      parallelism: config.POLLER_PARALLELISM,
      keepAnonymousParticipants: config.KEEP_ANONYMOUS_PARTICIPANTS,
    });
  }

  @EventPattern(Subjects.CloseExpiredPolls)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const report = await this.closer.closeAll(new Date(), () => ctx.working());
    this.logger.info({ ...report, failed: report.failed.length }, 'closed expired polls');
    if (report.failed.length > 0) {
      // The others are closed; the job is retried for these (already closed ones are skipped).
      throw new Error(
        `${report.failed.length} poll(s) could not be closed: ${JSON.stringify(report.failed.slice(0, 5))}`,
      );
    }
  }
}
