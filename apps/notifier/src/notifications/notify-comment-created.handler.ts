import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type CommentCreated, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyCommentCreated } from './thread-activity';

@Injectable()
export class NotifyCommentCreatedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.CommentCreated)
  handle(event: PayloadOf<typeof CommentCreated>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyCommentCreated(manager, event),
    );
  }
}
