import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type CleanupInactive, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { InactiveAccounts } from './inactive-accounts';

@Injectable()
export class CleanupInactiveHandler {
  constructor(
    @Inject(InactiveAccounts) private readonly accounts: InactiveAccounts,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.CleanupInactive)
  async handle({ olderThanDays }: PayloadOf<typeof CleanupInactive>, ctx: JobContext): Promise<void> {
    const cutoff = new Date(Date.now() - olderThanDays * 24 * 3600_000);
    const deleted = await this.accounts.deleteCreatedBefore(cutoff, () => ctx.working());
    this.logger.info({ deleted, olderThanDays }, 'inactive accounts deleted');
  }
}
