import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DestroyUser, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, UnrecoverableError, type JobContext } from '@lib/jetstream';
import { UserDestruction, UserNotDeactivatedError } from './user-destruction';

@Injectable()
export class DestroyUserHandler {
  constructor(
    @Inject(UserDestruction) private readonly users: UserDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DestroyUser)
  async handle({ userId, actorId }: PayloadOf<typeof DestroyUser>, ctx: JobContext): Promise<void> {
    try {
      const outcome = await this.users.destroy(userId, {
        afterBatch: () => ctx.working(),
        signal: ctx.signal,
      });
      this.logger.info(
        { userId, actorId, ...outcome },
        outcome.destroyed ? 'user destroyed' : 'unknown user; nothing to destroy',
      );
    } catch (error) {
      // Refused, not failed: retrying cannot make an active account deletable.
      if (error instanceof UserNotDeactivatedError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
