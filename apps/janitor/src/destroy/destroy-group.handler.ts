import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DestroyGroup, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { GroupDestruction } from './group-destruction';

@Injectable()
export class DestroyGroupHandler {
  constructor(
    @Inject(GroupDestruction) private readonly groups: GroupDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DestroyGroup)
  async handle({ groupId, actorId }: PayloadOf<typeof DestroyGroup>): Promise<void> {
    const outcome = await this.groups.archive(groupId);
    if (!outcome.archived) {
      this.logger.info({ groupId }, 'unknown group; nothing to destroy');
      return;
    }
    this.logger.info(
      { groupId, actorId, admins: outcome.admins.length, purgeAt: outcome.purgeAt, groups: outcome.groups },
      'group archived; hard delete scheduled',
    );
  }
}
