import { Module } from '@nestjs/common';

/** Notifier: notifications, e-mail, digests, reminders and webhooks. Its handlers are added here as providers, one per subject. */
@Module({})
export class NotifierModule {}
