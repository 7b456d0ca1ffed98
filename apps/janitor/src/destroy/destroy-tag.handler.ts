import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DestroyTag, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { RecordDestruction } from './record-destruction';

@Injectable()
export class DestroyTagHandler {
  constructor(
    @Inject(RecordDestruction) private readonly records: RecordDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DestroyTag)
  async handle({ tagId, actorId }: PayloadOf<typeof DestroyTag>, ctx: JobContext): Promise<void> {
    const deleted = await this.records.destroyTag(tagId, {
      afterBatch: () => ctx.working(),
      signal: ctx.signal,
    });
    this.logger.info(
      { tagId, actorId, deleted },
      Object.keys(deleted).length ? 'tag destroyed' : 'unknown tag; nothing to destroy',
    );
  }
}
