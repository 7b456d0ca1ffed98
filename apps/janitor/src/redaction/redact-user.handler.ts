import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type RedactUser } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { UserRedaction } from './user-redaction';

@Injectable()
export class RedactUserHandler {
  constructor(
    @Inject(UserRedaction) private readonly redaction: UserRedaction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.RedactUser)
  async handle({ userId, actorId }: PayloadOf<typeof RedactUser>): Promise<void> {
    const outcome = await this.redaction.request(userId);
    if (!outcome.started) {
      this.logger.info({ userId, reason: outcome.reason }, 'nothing to redact');
      return;
    }
    this.logger.info({ userId, actorId }, 'user deactivated; confirmation mail and erasure enqueued');
  }
}
