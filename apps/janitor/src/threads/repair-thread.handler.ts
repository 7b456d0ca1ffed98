import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type RepairThread } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { ThreadRepair } from './thread-repair';

@Injectable()
export class RepairThreadHandler {
  constructor(
    @Inject(ThreadRepair) private readonly threads: ThreadRepair,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.RepairThread)
  async handle({ discussionId }: PayloadOf<typeof RepairThread>): Promise<void> {
    const report = await this.threads.repair(discussionId);
    if (!report) {
      this.logger.info({ discussionId }, 'unknown discussion; nothing to repair');
      return;
    }
    this.logger.info({ discussionId, ...report }, 'thread repaired');
  }
}
