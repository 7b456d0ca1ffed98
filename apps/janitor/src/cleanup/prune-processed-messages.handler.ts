import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type PayloadOf, type PruneProcessedMessages } from '@lib/contracts';
import { Inbox } from '@lib/db';
import { EventPattern, LOGGER } from '@lib/jetstream';
import type { Logger } from 'pino';

@Injectable()
export class PruneProcessedMessagesHandler {
  constructor(
    @Inject(Inbox) private readonly inbox: Inbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.PruneProcessedMessages)
  async handle({ olderThanDays }: PayloadOf<typeof PruneProcessedMessages>): Promise<void> {
    const pruned = await this.inbox.prune(new Date(Date.now() - olderThanDays * 24 * 3600_000));
    this.logger.info({ pruned, olderThanDays }, 'pruned processed-message marks');
  }
}
