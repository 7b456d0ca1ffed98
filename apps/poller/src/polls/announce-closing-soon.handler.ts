import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CloudEventHeaders, Subjects, type AnnounceClosingSoon, type PayloadOf } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { POLLER_CONFIG, type PollerConfig } from '../config';
import { ClosingSoonAnnouncer } from './announce-closing-soon';

@Injectable()
export class AnnounceClosingSoonHandler {
  private readonly announcer: ClosingSoonAnnouncer;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(Outbox) outbox: Outbox,
    @Inject(POLLER_CONFIG) config: PollerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.announcer = new ClosingSoonAnnouncer(
      dataSource,
      outbox,
      config.POLLER_BATCH_SIZE,
      config.POLLER_PARALLELISM,
    );
  }

  @EventPattern(Subjects.AnnounceClosingSoon)
  async handle(payload: PayloadOf<typeof AnnounceClosingSoon>, ctx: JobContext): Promise<void> {
    // The hour the job was asked for, not the hour it happens to run in: a late or retried run still
    // covers its own window.
    const hour = new Date(payload.hour ?? ctx.header(CloudEventHeaders.time) ?? Date.now());
    const report = await this.announcer.announceAll(hour, () => ctx.working());
    this.logger.info(
      { ...report, failed: report.failed.length, window: ClosingSoonAnnouncer.windowFor(hour) },
      'announced polls closing soon',
    );
    if (report.failed.length > 0) {
      throw new Error(
        `${report.failed.length} poll(s) could not be announced: ${JSON.stringify(report.failed.slice(0, 5))}`,
      );
    }
  }
}
