import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type PollReminderRequested } from '@lib/contracts';
import { Inbox, Outbox } from '@lib/db';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { remindUndecided } from './remind-undecided';

@Injectable()
export class RemindUndecidedHandler {
  constructor(
    @Inject(Inbox) private readonly inbox: Inbox,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.PollReminderRequested)
  async handle(request: PayloadOf<typeof PollReminderRequested>, ctx: JobContext): Promise<void> {
    const applied = await this.inbox.once(ctx.consumer, ctx.jobId, (manager) =>
      remindUndecided(manager, this.outbox, request),
    );
    if (applied.duplicate) return;
    const outcome = applied.result;
    if (outcome.reminded) {
      this.logger.info(
        {
          pollId: request.pollId,
          email: outcome.recipients.email.length,
          inApp: outcome.recipients.inApp.length,
        },
        'reminded the undecided',
      );
    } else {
      this.logger.info({ pollId: request.pollId, reason: outcome.reason }, 'no reminder sent');
    }
  }
}
