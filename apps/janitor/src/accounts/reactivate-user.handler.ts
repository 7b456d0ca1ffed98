import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type ReactivateUser } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { AccountStatus } from './account-status';

@Injectable()
export class ReactivateUserHandler {
  constructor(
    @Inject(AccountStatus) private readonly accounts: AccountStatus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.ReactivateUser)
  async handle({ userId, actorId }: PayloadOf<typeof ReactivateUser>): Promise<void> {
    const change = await this.accounts.reactivate(userId);
    if (!change.changed) {
      this.logger.info({ userId }, 'user not deactivated or unknown; nothing to do');
      return;
    }
    this.logger.info({ userId, actorId, stancesRestored: change.stances.length }, 'user reactivated');
  }
}
