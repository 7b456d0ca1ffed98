import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type UpdateTag } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { TagRename } from './tag-rename';

@Injectable()
export class UpdateTagHandler {
  constructor(
    @Inject(TagRename) private readonly tags: TagRename,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.UpdateTag)
  async handle(
    { groupId, oldName, newName, color }: PayloadOf<typeof UpdateTag>,
    ctx: JobContext,
  ): Promise<void> {
    const report = await this.tags.rename(groupId, oldName, newName, color, () => ctx.working());
    this.logger.info({ groupId, ...report }, 'tag updated');
  }
}
