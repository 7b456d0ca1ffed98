import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DestroyComment, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { RecordDestruction } from './record-destruction';

@Injectable()
export class DestroyCommentHandler {
  constructor(
    @Inject(RecordDestruction) private readonly records: RecordDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DestroyComment)
  async handle({ commentId, actorId }: PayloadOf<typeof DestroyComment>, ctx: JobContext): Promise<void> {
    const deleted = await this.records.destroyComment(commentId, {
      afterBatch: () => ctx.working(),
      signal: ctx.signal,
    });
    this.logger.info(
      { commentId, actorId, deleted },
      Object.keys(deleted).length ? 'comment destroyed' : 'unknown comment; nothing to destroy',
    );
  }
}
