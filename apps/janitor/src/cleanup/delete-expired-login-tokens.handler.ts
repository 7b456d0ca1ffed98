import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DeleteExpiredLoginTokens, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { ExpirySweeps } from './expiry-sweeps';

@Injectable()
export class DeleteExpiredLoginTokensHandler {
  constructor(
    @Inject(ExpirySweeps) private readonly sweeps: ExpirySweeps,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DeleteExpiredLoginTokens)
  async handle(
    { olderThanMinutes }: PayloadOf<typeof DeleteExpiredLoginTokens>,
    ctx: JobContext,
  ): Promise<void> {
    const cutoff = new Date(Date.now() - olderThanMinutes * 60_000);
    const deleted = await this.sweeps.deleteLoginTokensCreatedBefore(cutoff, () => ctx.working());
    this.logger.info({ deleted, olderThanMinutes }, 'expired login tokens deleted');
  }
}
