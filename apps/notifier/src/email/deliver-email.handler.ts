import { inboundMailDomain } from '../inbound/inbound-config';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../config';
import { EmailDelivery, mailDomainOf, type DeliverEmailPayload } from './deliver-email';
import { MailRenderer } from './mail-renderer';
import { createSmtpSender, type MailSender } from './mail-transport';

@Injectable()
export class DeliverEmailHandler implements OnModuleDestroy {
  private readonly sender: MailSender;
  private readonly delivery: EmailDelivery;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(NOTIFIER_CONFIG) config: NotifierConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.sender = createSmtpSender(config.SMTP_URL, config.MAIL_FROM);
    this.delivery = new EmailDelivery(dataSource, new MailRenderer(), this.sender, {
      appUrl: config.APP_URL,
      messageIdDomain: mailDomainOf(config.MAIL_FROM),
      replyDomain: inboundMailDomain(config),
    });
  }

  @EventPattern(Subjects.DeliverEmail)
  async handle(payload: DeliverEmailPayload, ctx: JobContext): Promise<void> {
    const outcome = await this.delivery.deliver(payload);
    // Ids and reasons only: the address stays in mail_deliveries, out of the logs.
    this.logger.info(
      {
        ...outcome,
        kind: payload.kind,
        recipientId: payload.recipientId,
        jobId: ctx.jobId,
        attempt: ctx.attempt,
      },
      'e-mail delivery',
    );
  }

  onModuleDestroy(): void {
    this.sender.close();
  }
}
