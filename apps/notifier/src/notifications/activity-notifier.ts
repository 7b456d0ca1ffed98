import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Inbox } from '@lib/db';
import { LOGGER, type JobContext } from '@lib/jetstream';
import { ChatbotFanout } from '../chatbots/chatbot-fanout';
import type { NotifyOutcome } from './notify-outcome';

/**
 * The frame of every activity handler: the notifications, the e-mail jobs, the chatbot posts and the inbox
 * mark commit together or not at all. The mark is keyed by the activity, not the message, so the same
 * activity published twice under two message ids is still notified once.
 */
@Injectable()
export class ActivityNotifier {
  constructor(
    @Inject(Inbox) private readonly inbox: Inbox,
    @Inject(ChatbotFanout) private readonly chatbots: ChatbotFanout,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async notify(
    ctx: JobContext,
    activityKey: string,
    recipientChatbotIds: number[] | undefined,
    notify: (manager: EntityManager) => Promise<NotifyOutcome>,
  ): Promise<void> {
    const applied = await this.inbox.once(ctx.consumer, activityKey, async (manager) => {
      const outcome = await notify(manager);
      if (!outcome.notified) return { outcome, chatbots: 0 };
      const chatbots = await this.chatbots.enqueue(manager, {
        eventId: outcome.activity.id,
        kind: outcome.activity.kind,
        groupId: outcome.groupId,
        recipientChatbotIds,
      });
      return { outcome, chatbots };
    });
    if (applied.duplicate) {
      this.logger.info({ subject: ctx.subject, activityKey, jobId: ctx.jobId }, 'activity already notified');
      return;
    }
    const { outcome, chatbots } = applied.result;
    this.logger.info(
      outcome.notified
        ? { subject: ctx.subject, eventId: outcome.activity.id, ...outcome.report, chatbots }
        : { subject: ctx.subject, activityKey, skipped: outcome.reason },
      'activity notified',
    );
  }
}
