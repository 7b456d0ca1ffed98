import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DeactivateUser, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { AccountStatus } from './account-status';

@Injectable()
export class DeactivateUserHandler {
  constructor(
    @Inject(AccountStatus) private readonly accounts: AccountStatus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DeactivateUser)
  async handle({ userId, actorId }: PayloadOf<typeof DeactivateUser>): Promise<void> {
    const change = await this.accounts.deactivate(userId);
    if (!change.changed) {
      this.logger.info({ userId }, 'user already deactivated or unknown; nothing to do');
      return;
    }
    this.logger.info({ userId, actorId, stancesRevoked: change.stances.length }, 'user deactivated');
  }
}
