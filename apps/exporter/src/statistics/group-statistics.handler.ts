import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects, type GroupStatisticsJob, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { GroupStatistics, previousWeekStarting } from './group-statistics';

@Injectable()
export class GroupStatisticsHandler {
  private readonly statistics: GroupStatistics;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.statistics = new GroupStatistics(dataSource);
  }

  @EventPattern(Subjects.GroupStatistics)
  async handle({ weekStarting }: PayloadOf<typeof GroupStatisticsJob>, ctx: JobContext): Promise<void> {
    // The cron line runs on Monday 00:00 UTC without a week: the one that just ended.
    const week = weekStarting ?? previousWeekStarting(new Date());
    const groups = await this.statistics.compute(week, () => ctx.working());
    this.logger.info({ weekStarting: week, groups }, 'group statistics written');
  }
}
