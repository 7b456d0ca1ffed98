import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type OutcomeCreated, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyOutcomeCreated } from './thread-activity';

@Injectable()
export class NotifyOutcomeCreatedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.OutcomeCreated)
  handle(event: PayloadOf<typeof OutcomeCreated>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyOutcomeCreated(manager, event),
    );
  }
}
