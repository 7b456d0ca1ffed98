import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type EraseUser, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, RetryLaterError, SERVICE_CONFIG } from '@lib/jetstream';
import type { JanitorConfig } from '../config';
import { UserRedaction } from './user-redaction';

@Injectable()
export class EraseUserHandler {
  constructor(
    @Inject(UserRedaction) private readonly redaction: UserRedaction,
    @Inject(SERVICE_CONFIG) private readonly config: JanitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.EraseUser)
  async handle({ userId, requestedAt }: PayloadOf<typeof EraseUser>): Promise<void> {
    const outcome = await this.redaction.erase(userId, new Date(requestedAt));
    if (outcome.erased) {
      this.logger.info(
        { userId, mailStatus: outcome.mailStatus, rewritten: outcome.rewritten },
        'user erased',
      );
      return;
    }
    if (outcome.reason === 'waiting-for-mail') {
      throw new RetryLaterError(
        this.config.REDACTION_MAIL_POLL_MS,
        `confirmation mail of user ${userId} is ${outcome.mailStatus ?? 'not queued yet'}`,
      );
    }
    this.logger.info({ userId, reason: outcome.reason }, 'nothing to erase');
  }
}
