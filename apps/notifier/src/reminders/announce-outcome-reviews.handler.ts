import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { OutcomeReviews } from './announce-outcome-reviews';

@Injectable()
export class AnnounceOutcomeReviewsHandler {
  private readonly reviews: OutcomeReviews;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.reviews = new OutcomeReviews(dataSource);
  }

  @EventPattern(Subjects.AnnounceOutcomeReviews)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const today = new Date().toISOString().slice(0, 10);
    const report = await this.reviews.announceAll(today, () => ctx.working());
    this.logger.info({ ...report, today }, 'outcome reviews announced');
  }
}
