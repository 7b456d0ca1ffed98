import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects, type PayloadOf, type PostToChatbot } from '@lib/contracts';
import { EventPattern, LOGGER, RetryLaterError, SERVICE_CONFIG, type JobContext } from '@lib/jetstream';
import { outboundPolicyFrom } from '@lib/outbound';
import { chatbotConfigFrom } from './chatbot-config';
import { ChatbotPoster, type PostToChatbotJob } from './post-to-chatbot';

@Injectable()
export class PostToChatbotHandler {
  private readonly poster: ChatbotPoster;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(SERVICE_CONFIG) serviceConfig: unknown,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const config = chatbotConfigFrom(serviceConfig);
    this.poster = new ChatbotPoster(dataSource, {
      appUrl: config.APP_URL,
      policy: outboundPolicyFrom(config),
      timeoutMs: config.CHATBOT_POST_TIMEOUT_MS,
      disableAfterFailures: config.CHATBOT_DISABLE_AFTER_FAILURES,
    });
  }

  @EventPattern(Subjects.PostToChatbot)
  async handle(job: PayloadOf<typeof PostToChatbot>, ctx: JobContext): Promise<void> {
    const outcome = await this.poster.post(job, ctx.signal).catch(async (error: unknown) => {
      if (error instanceof RetryLaterError) await this.holdWebhook(job, ctx, error);
      throw error;
    });
    // Ids only: the webhook URL carries credentials and stays out of the logs.
    this.logger.info(
      { chatbotId: job.chatbotId, eventId: job.eventId, ...outcome, jobId: ctx.jobId, attempt: ctx.attempt },
      'chatbot post',
    );
  }

  /**
   * A 429 holds every post to that webhook URL, on every replica, for Retry-After: the other queued posts
   * would only be refused too. The job then waits without spending an attempt.
   */
  private async holdWebhook(job: PostToChatbotJob, ctx: JobContext, error: RetryLaterError): Promise<void> {
    try {
      await ctx.pauseKey(error.delayMs, `chatbot ${job.chatbotId} answered 429`);
    } catch (pauseError) {
      // Without the pause the job still waits for Retry-After; only its neighbours may try sooner.
      this.logger.warn({ err: pauseError, chatbotId: job.chatbotId }, 'could not pause the webhook key');
    }
  }
}
