import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type PurgeGroup } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { GroupDestruction } from './group-destruction';

@Injectable()
export class PurgeGroupHandler {
  constructor(
    @Inject(GroupDestruction) private readonly groups: GroupDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.PurgeGroup)
  async handle({ groupId, archivedAt }: PayloadOf<typeof PurgeGroup>, ctx: JobContext): Promise<void> {
    const outcome = await this.groups.purge(groupId, archivedAt, {
      afterBatch: () => ctx.working(),
      signal: ctx.signal,
    });
    if (!outcome.purged) {
      this.logger.info({ groupId, archivedAt, reason: outcome.reason }, 'group kept; nothing to purge');
      return;
    }
    this.logger.info({ groupId, deleted: outcome.report }, 'group purged');
  }
}
