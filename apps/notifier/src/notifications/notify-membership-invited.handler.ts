import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type MembershipInvited, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyMembershipInvited } from './membership-activity';

@Injectable()
export class NotifyMembershipInvitedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.MembershipInvited)
  handle(event: PayloadOf<typeof MembershipInvited>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, event.recipientChatbotIds, (manager) =>
      notifyMembershipInvited(manager, event),
    );
  }
}
