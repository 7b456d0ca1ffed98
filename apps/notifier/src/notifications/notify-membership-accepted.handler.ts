import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type MembershipAccepted, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyMembershipAccepted } from './membership-activity';

@Injectable()
export class NotifyMembershipAcceptedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.MembershipAccepted)
  handle(event: PayloadOf<typeof MembershipAccepted>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyMembershipAccepted(manager, event),
    );
  }
}
