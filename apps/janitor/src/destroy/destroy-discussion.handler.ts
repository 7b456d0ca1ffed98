import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DestroyDiscussion, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { RecordDestruction } from './record-destruction';

@Injectable()
export class DestroyDiscussionHandler {
  constructor(
    @Inject(RecordDestruction) private readonly records: RecordDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DestroyDiscussion)
  async handle(
    { discussionId, actorId }: PayloadOf<typeof DestroyDiscussion>,
    ctx: JobContext,
  ): Promise<void> {
    const deleted = await this.records.destroyDiscussion(discussionId, {
      afterBatch: () => ctx.working(),
      signal: ctx.signal,
    });
    this.logger.info(
      { discussionId, actorId, deleted },
      Object.keys(deleted).length ? 'discussion destroyed' : 'unknown discussion; nothing to destroy',
    );
  }
}
