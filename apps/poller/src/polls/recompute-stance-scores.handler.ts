import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects, type PayloadOf, type RecomputeStanceScores } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { recomputeStanceScores } from './recompute-stance-scores';

@Injectable()
export class RecomputeStanceScoresHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.RecomputeStanceScores)
  async handle({ pollId }: PayloadOf<typeof RecomputeStanceScores>): Promise<void> {
    const report = await this.dataSource.transaction((manager) => recomputeStanceScores(manager, pollId));
    if (!report.found) this.logger.info({ pollId }, 'poll gone: no stance scores to recompute');
    else this.logger.info({ pollId, ...report }, 'recomputed stance scores');
  }
}
