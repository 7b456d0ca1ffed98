import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@lib/jetstream';
import { ChatbotsModule } from './chatbots/chatbots.module';
import { NOTIFIER_CONFIG } from './config';
import { SendCatchUpDigestsHandler } from './digests/send-catch-up-digests.handler';
import { DeliverEmailHandler } from './email/deliver-email.handler';
import { RouteReceivedEmailsHandler } from './inbound/route-received-emails.handler';
import { ActivityNotifier } from './notifications/activity-notifier';
import { NotifyCommentCreatedHandler } from './notifications/notify-comment-created.handler';
import { NotifyDiscussionCreatedHandler } from './notifications/notify-discussion-created.handler';
import { NotifyMembershipAcceptedHandler } from './notifications/notify-membership-accepted.handler';
import { NotifyMembershipInvitedHandler } from './notifications/notify-membership-invited.handler';
import { NotifyOutcomeCreatedHandler } from './notifications/notify-outcome-created.handler';
import { NotifyPollClosedHandler } from './notifications/notify-poll-closed.handler';
import { NotifyPollClosingSoonHandler } from './notifications/notify-poll-closing-soon.handler';
import { NotifyPollCreatedHandler } from './notifications/notify-poll-created.handler';
import { NotifyPollRemindedHandler } from './notifications/notify-poll-reminded.handler';
import { NotifyUserMentionedHandler } from './notifications/notify-user-mentioned.handler';
import { AnnounceOutcomeReviewsHandler } from './reminders/announce-outcome-reviews.handler';
import { SendTaskRemindersHandler } from './reminders/send-task-reminders.handler';

/** Notifier: notifications, e-mail, digests, reminders and webhooks. Its handlers are added here as providers, one per subject. */
@Module({
  imports: [ChatbotsModule],
  providers: [
    { provide: NOTIFIER_CONFIG, useExisting: SERVICE_CONFIG },
    DeliverEmailHandler,
    ActivityNotifier,
    NotifyDiscussionCreatedHandler,
    NotifyCommentCreatedHandler,
    NotifyPollCreatedHandler,
    NotifyOutcomeCreatedHandler,
    NotifyUserMentionedHandler,
    NotifyPollClosedHandler,
    NotifyPollClosingSoonHandler,
    NotifyPollRemindedHandler,
    NotifyMembershipInvitedHandler,
    NotifyMembershipAcceptedHandler,
    SendCatchUpDigestsHandler,
    SendTaskRemindersHandler,
    AnnounceOutcomeReviewsHandler,
    RouteReceivedEmailsHandler,
  ],
})
export class NotifierModule {}
