import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@lib/jetstream';
import { ChatbotsModule } from './chatbots/chatbots.module';
import { NOTIFIER_CONFIG } from './config';
import { DeliverEmailHandler } from './email/deliver-email.handler';

/** Notifier: notifications, e-mail, digests, reminders and webhooks. Its handlers are added here as providers, one per subject. */
@Module({
  imports: [ChatbotsModule],
  providers: [{ provide: NOTIFIER_CONFIG, useExisting: SERVICE_CONFIG }, DeliverEmailHandler],
})
export class NotifierModule {}
