import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CronTable } from '@lib/contracts';
import { openCronState } from '../cron/cron-state';
import type { JetStreamPublisher } from '../publisher';
import { CronAdmin } from './cron-admin';
import { DeadLetterAdmin } from './dead-letter-admin';
import { JobAdmin } from './job-admin';
import { StreamAdmin } from './stream-admin';
import { WorkerAdmin } from './worker-admin';

/**
 * Every operator action on one long-lived, reconnecting connection (the dashboard's), where the CLI opens a
 * short-lived one per command.
 */
export class OperatorAdmin {
  constructor(
    readonly streams: StreamAdmin,
    readonly deadLetters: DeadLetterAdmin,
    readonly jobs: JobAdmin,
    readonly workers: WorkerAdmin,
    readonly cron: CronAdmin,
  ) {}

  static async open(
    nc: NatsConnection,
    publisher: JetStreamPublisher,
    logger: Logger,
    replicas = 1,
  ): Promise<OperatorAdmin> {
    const jsm = await nc.jetstreamManager();
    const cron = new CronAdmin(
      CronTable,
      await openCronState(nc, replicas),
      async (entry, id) => {
        await publisher.publish(entry.subject as never, entry.payload as never, { id });
      },
      logger.child({ part: 'cron-admin' }),
    );
    return new OperatorAdmin(
      new StreamAdmin(jsm),
      new DeadLetterAdmin(jsm),
      new JobAdmin(jsm),
      await WorkerAdmin.open(jsm),
      cron,
    );
  }
}
