import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { HeadingIdBackfill } from './heading-id-backfill';

@Injectable()
export class AddHeadingIdsHandler {
  constructor(
    @Inject(HeadingIdBackfill) private readonly backfill: HeadingIdBackfill,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.AddHeadingIds)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const updated = await this.backfill.run({
      afterBatch: (progress) => {
        ctx.working();
        this.logger.debug(progress, 'heading ids batch committed');
      },
      signal: ctx.signal,
    });
    this.logger.info({ updated }, 'heading ids added');
  }
}
