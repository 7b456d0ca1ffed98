import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type DiscussionCreated, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyDiscussionCreated } from './thread-activity';

@Injectable()
export class NotifyDiscussionCreatedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.DiscussionCreated)
  handle(event: PayloadOf<typeof DiscussionCreated>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyDiscussionCreated(manager, event),
    );
  }
}
