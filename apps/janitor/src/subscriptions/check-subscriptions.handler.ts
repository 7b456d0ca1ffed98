import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { SubscriptionExpiry } from './subscription-expiry';

@Injectable()
export class CheckSubscriptionsHandler {
  constructor(
    @Inject(SubscriptionExpiry) private readonly subscriptions: SubscriptionExpiry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.CheckSubscriptions)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const report = await this.subscriptions.markExpired(new Date(), () => ctx.working());
    this.logger.info(report, 'expired subscriptions marked');
  }
}
