import { Subjects } from '@lib/contracts';
import { runService } from '@lib/jetstream';
import { NotifierConfigSchema } from './config';
import { NotifierModule } from './notifier.module';

void runService({
  name: 'notifier',
  module: NotifierModule,
  configSchema: NotifierConfigSchema,
  // Shared by every replica through NATS KV, so the relay sees SMTP_RATE in all, not per process.
  rateLimits: (config) => ({ [Subjects.DeliverEmail]: { limit: config.SMTP_RATE, per: 1000 } }),
});
