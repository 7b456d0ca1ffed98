import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { CronEntry } from '@lib/contracts';
import { JetStreamPublisher } from '../publisher';
import type { ServiceConfig } from '../service-config';
import { LOGGER, NATS_CONNECTION, SERVICE_CONFIG } from '../worker-core.module';
import { planCronTable, type PlannedEntry } from './cron-plan';
import { CronScheduler } from './cron-scheduler';
import { openCronState } from './cron-state';

export const CRON_TABLE = Symbol('CRON_TABLE');

/** Runs the cron table in the scheduler; the table is checked when the service is created. */
@Injectable()
export class CronService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly entries: PlannedEntry[];
  private scheduler?: CronScheduler;

  constructor(
    @Inject(CRON_TABLE) table: readonly CronEntry[],
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {
    this.entries = planCronTable(table);
  }

  async onApplicationBootstrap(): Promise<void> {
    const store = await openCronState(this.nc, this.config.NATS_STREAM_REPLICAS);
    this.scheduler = new CronScheduler(
      this.entries,
      store,
      async (entry, id) => {
        await this.publisher.publish(entry.subject, entry.payload as never, { id });
      },
      this.logger.child({ part: 'cron' }),
    );
    this.scheduler.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler?.stop();
  }
}
