import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type UserMentioned, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyUserMentioned } from './thread-activity';

@Injectable()
export class NotifyUserMentionedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.UserMentioned)
  handle(event: PayloadOf<typeof UserMentioned>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyUserMentioned(manager, event),
    );
  }
}
