import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { SearchIndex } from './search-index';

@Injectable()
export class ReindexSearchHandler {
  constructor(
    @Inject(SearchIndex) private readonly index: SearchIndex,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.ReindexSearch)
  async handle(_payload: unknown, ctx: JobContext): Promise<void> {
    const result = await this.index.rebuild({
      afterBatch: ({ type, upToId }) => {
        ctx.working();
        this.logger.debug({ type, upToId }, 'search batch indexed');
      },
      signal: ctx.signal,
    });
    this.logger.info(result, 'search index rebuilt');
  }
}
