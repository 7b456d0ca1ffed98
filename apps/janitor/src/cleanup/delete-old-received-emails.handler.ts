import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DeleteOldReceivedEmails, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { ExpirySweeps } from './expiry-sweeps';

@Injectable()
export class DeleteOldReceivedEmailsHandler {
  constructor(
    @Inject(ExpirySweeps) private readonly sweeps: ExpirySweeps,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DeleteOldReceivedEmails)
  async handle({ olderThanDays }: PayloadOf<typeof DeleteOldReceivedEmails>, ctx: JobContext): Promise<void> {
    const cutoff = new Date(Date.now() - olderThanDays * 24 * 3600_000);
    const deleted = await this.sweeps.deleteReceivedEmailsCreatedBefore(cutoff, () => ctx.working());
    this.logger.info({ deleted, olderThanDays }, 'old received e-mails deleted');
  }
}
