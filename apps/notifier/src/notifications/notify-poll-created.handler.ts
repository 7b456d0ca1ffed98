import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type PollCreated, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyPollCreated } from './thread-activity';

@Injectable()
export class NotifyPollCreatedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.PollCreated)
  handle(event: PayloadOf<typeof PollCreated>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyPollCreated(manager, event),
    );
  }
}
